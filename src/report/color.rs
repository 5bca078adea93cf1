//! The one color scale of coreheat, used by the HTML report (as CSS classes) and
//! the PNG charts alike: a continuous ramp for busy %, a second ramp for kernel %,
//! and dstat's four bands (0 gray, 1–33 red, 34–67 yellow, 68–100 green).

use std::fmt::Write as _;

/// An sRGB color.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    fn mix(self, other: Rgb, f: f64) -> Rgb {
        let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * f).round() as u8;
        Rgb(
            lerp(self.0, other.0),
            lerp(self.1, other.1),
            lerp(self.2, other.2),
        )
    }
}

/// A piecewise-linear ramp over 0..=100 percent.
pub struct Ramp {
    stops: &'static [(f64, Rgb)],
}

/// Busy %: near-white when idle, through yellow and orange to deep red when full
/// (a sequential YlOrRd-like ramp that prints well and reads in grayscale).
pub const BUSY: Ramp = Ramp {
    stops: &[
        (0.0, Rgb(0xf4, 0xf4, 0xf2)),
        (10.0, Rgb(0xff, 0xed, 0xa0)),
        (35.0, Rgb(0xfe, 0xb2, 0x4c)),
        (60.0, Rgb(0xfc, 0x4e, 0x2a)),
        (85.0, Rgb(0xd0, 0x1c, 0x1c)),
        (100.0, Rgb(0x80, 0x00, 0x26)),
    ],
};

/// Kernel % (sys + irq + softirq): near-white through blue to deep purple, so it
/// never reads as the busy ramp.
pub const KERNEL: Ramp = Ramp {
    stops: &[
        (0.0, Rgb(0xf4, 0xf4, 0xf2)),
        (10.0, Rgb(0xc6, 0xdb, 0xef)),
        (35.0, Rgb(0x6b, 0xae, 0xd6)),
        (65.0, Rgb(0x3f, 0x4f, 0xb5)),
        (100.0, Rgb(0x3f, 0x00, 0x7d)),
    ],
};

/// CPUs in a busy band of the quantized heat map: near-white for none,
/// through green and blue to deep navy for all (YlGnBu), distinct from both
/// load ramps.
pub const COUNT: Ramp = Ramp {
    stops: &[
        (0.0, Rgb(0xf4, 0xf4, 0xf2)),
        (8.0, Rgb(0xd9, 0xf0, 0xb4)),
        (35.0, Rgb(0x7f, 0xcd, 0xbb)),
        (60.0, Rgb(0x2c, 0x7f, 0xb8)),
        (100.0, Rgb(0x08, 0x1d, 0x58)),
    ],
};

/// The page's background in the dark theme (`prefers-color-scheme: dark`).
pub const DARK_BACKGROUND: Rgb = Rgb(0x18, 0x18, 0x1b);

/// Busy % in the dark theme: an idle CPU is a dark grey a step above the
/// page, and load warms through violet, plum and crimson to a bright red, so
/// warmer is busier in both themes (dark red in the light one) and the
/// busiest cells stand out on the dark page (lightness rises all the way).
pub const DARK_BUSY: Ramp = Ramp {
    stops: &[
        (0.0, Rgb(0x2e, 0x2e, 0x33)),
        (10.0, Rgb(0x3d, 0x2f, 0x55)),
        (35.0, Rgb(0x7a, 0x2f, 0x7a)),
        (60.0, Rgb(0xb8, 0x30, 0x6a)),
        (85.0, Rgb(0xe8, 0x36, 0x4a)),
        (100.0, Rgb(0xff, 0x4d, 0x3d)),
    ],
};

/// Kernel % in the dark theme: dark grey through indigo and blue to pale cyan.
pub const DARK_KERNEL: Ramp = Ramp {
    stops: &[
        (0.0, Rgb(0x2e, 0x2e, 0x33)),
        (10.0, Rgb(0x2b, 0x2f, 0x6b)),
        (35.0, Rgb(0x3a, 0x55, 0xb5)),
        (65.0, Rgb(0x4f, 0x9c, 0xe0)),
        (100.0, Rgb(0xc6, 0xf0, 0xff)),
    ],
};

/// CPU counts in the dark theme: dark grey through teal to pale green.
pub const DARK_COUNT: Ramp = Ramp {
    stops: &[
        (0.0, Rgb(0x2e, 0x2e, 0x33)),
        (8.0, Rgb(0x1d, 0x4a, 0x55)),
        (35.0, Rgb(0x1f, 0x80, 0x8a)),
        (60.0, Rgb(0x41, 0xb6, 0xa4)),
        (100.0, Rgb(0xd9, 0xf7, 0xb4)),
    ],
};

/// Relative luminance of a color (WCAG 2).
pub fn luminance(color: Rgb) -> f64 {
    let channel = |c: u8| {
        let c = c as f64 / 255.0;
        if c <= 0.039_28 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(color.0) + 0.7152 * channel(color.1) + 0.0722 * channel(color.2)
}

/// WCAG 2 contrast ratio of two colors, 1 to 21.
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Where `count` of `total` CPUs falls on the [`COUNT`] ramp, 0..=100: by the
/// square root of the share, so that a few busy CPUs among thousands still
/// show, and at least 8 for any CPU at all.
pub fn count_level(count: f64, total: f64) -> f64 {
    if !(count > 0.0 && total > 0.0) {
        return 0.0;
    }
    (100.0 * (count / total).min(1.0).sqrt()).max(8.0)
}

impl Ramp {
    /// The color at `percent` (clamped to 0..=100).
    pub fn at(&self, percent: f64) -> Rgb {
        let p = if percent.is_finite() {
            percent.clamp(0.0, 100.0)
        } else {
            0.0
        };
        for pair in self.stops.windows(2) {
            let ((p0, c0), (p1, c1)) = (pair[0], pair[1]);
            if p <= p1 {
                return c0.mix(c1, (p - p0) / (p1 - p0));
            }
        }
        self.stops[self.stops.len() - 1].1
    }

    /// CSS rules `.{prefix}N{fill:..;background:..}` for N = 0..=100, one class
    /// per percent: `fill` colors SVG cells, `background` HTML swatches.
    pub fn css_classes(&self, prefix: &str) -> String {
        let mut css = String::with_capacity(101 * 40);
        for level in 0..=100 {
            let hex = self.at(level as f64).hex();
            let _ = write!(css, ".{prefix}{level}{{fill:{hex};background:{hex}}}");
        }
        css
    }
}

/// The class index (0..=100) of a percentage: whole percents, as the ramp's CSS.
pub fn level(percent: f64) -> u8 {
    if percent.is_finite() {
        percent.round().clamp(0.0, 100.0) as u8
    } else {
        0
    }
}

/// dstat's color bands for a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Zero,
    Low,
    Mid,
    High,
}

impl Band {
    /// The band of a value as dstat prints it (rounded to a whole percent).
    pub fn of(percent: f64) -> Band {
        match level(percent) {
            0 => Band::Zero,
            1..=33 => Band::Low,
            34..=67 => Band::Mid,
            _ => Band::High,
        }
    }

    /// The CSS class of the band in the report.
    pub fn class(self) -> &'static str {
        match self {
            Band::Zero => "z",
            Band::Low => "r",
            Band::Mid => "y",
            Band::High => "g",
        }
    }

    pub fn color(self) -> Rgb {
        match self {
            Band::Zero => Rgb(0x8a, 0x8a, 0x8a),
            Band::Low => Rgb(0xd7, 0x30, 0x27),
            Band::Mid => Rgb(0xc9, 0x9a, 0x00),
            Band::High => Rgb(0x1a, 0x98, 0x50),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ramp_ends_and_monotone_darkening() {
        assert_eq!(BUSY.at(0.0), Rgb(0xf4, 0xf4, 0xf2));
        assert_eq!(BUSY.at(100.0), Rgb(0x80, 0x00, 0x26));
        assert_eq!(BUSY.at(250.0), BUSY.at(100.0));
        assert_eq!(BUSY.at(f64::NAN), BUSY.at(0.0));
        let lightness = |c: Rgb| c.0 as u32 + c.1 as u32 + c.2 as u32;
        for p in 0..100 {
            assert!(
                lightness(BUSY.at(p as f64)) >= lightness(BUSY.at(p as f64 + 1.0)),
                "{p}"
            );
        }
    }

    #[test]
    fn dstat_band_edges() {
        assert_eq!(Band::of(0.0), Band::Zero);
        assert_eq!(Band::of(0.4), Band::Zero);
        assert_eq!(Band::of(0.6), Band::Low);
        assert_eq!(Band::of(33.0), Band::Low);
        assert_eq!(Band::of(33.6), Band::Mid);
        assert_eq!(Band::of(67.0), Band::Mid);
        assert_eq!(Band::of(68.0), Band::High);
        assert_eq!(Band::of(100.0), Band::High);
    }

    #[test]
    fn a_single_cpu_of_thousands_still_shows_on_the_count_ramp() {
        assert_eq!(count_level(0.0, 5000.0), 0.0);
        assert!(count_level(1.0, 5000.0) >= 8.0);
        assert_ne!(COUNT.at(count_level(1.0, 5000.0)), COUNT.at(0.0));
        assert_eq!(count_level(1250.0, 5000.0), 50.0);
        assert_eq!(count_level(5000.0, 5000.0), 100.0);
    }

    /// On the dark page, every dark ramp brightens with the load, an idle cell
    /// is set off from the page, and a full one stands out (contrast ≥ 4.5).
    #[test]
    fn dark_ramps_read_on_the_dark_page() {
        for ramp in [&DARK_BUSY, &DARK_KERNEL, &DARK_COUNT] {
            for p in 0..100 {
                let (here, next) = (ramp.at(p as f64), ramp.at(p as f64 + 1.0));
                assert!(luminance(next) >= luminance(here), "{p}: {here:?} {next:?}");
            }
            let idle = ramp.at(0.0);
            assert!(contrast(idle, DARK_BACKGROUND) >= 1.2, "idle {idle:?}");
            assert!(contrast(ramp.at(100.0), DARK_BACKGROUND) >= 4.5);
            assert!(contrast(ramp.at(50.0), idle) >= 1.5, "half load shows");
        }
    }

    /// Warmer is busier in both themes: the busiest cell is a red (red well
    /// above green and blue), and so is no idle one.
    #[test]
    fn the_busiest_cell_is_red_in_both_themes() {
        let red = |c: Rgb| c.0 as u32 >= 2 * c.1 as u32 && c.0 as u32 >= 2 * c.2 as u32;
        for ramp in [&BUSY, &DARK_BUSY] {
            assert!(red(ramp.at(100.0)), "{:?}", ramp.at(100.0));
            assert!(!red(ramp.at(0.0)));
        }
    }

    #[test]
    fn css_has_one_class_per_percent() {
        let css = BUSY.css_classes("c");
        assert!(css.starts_with(".c0{fill:#f4f4f2;background:#f4f4f2}"));
        assert!(css.contains(".c100{fill:#800026;background:#800026}"));
        assert_eq!(css.matches('{').count(), 101);
    }
}
