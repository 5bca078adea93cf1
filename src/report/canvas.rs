//! Charts are drawn once, in logical pixels, into a [`Recorder`]: a plotters
//! backend that keeps the shapes. A recording is then replayed into a pixel
//! buffer at any density for the PNG files, or into SVG for report.html, so
//! both show the same picture. Text in the PNGs is set on its baseline with the
//! embedded font (plotters' own rasterizer rounds each glyph's offset on its
//! own, which lifts a decimal point off the line).

use std::convert::Infallible;
use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use anyhow::{Result, anyhow};
use plotters::prelude::*;
use plotters::style::FontTransform;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// DejaVu Sans (Bitstream Vera license, see assets/DejaVuSans-LICENSE.txt).
pub static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// The family the charts' text is drawn in (plotters knows [`FONT`] by it).
pub const FONT_FAMILY: &str = "sans-serif";

/// Registers the embedded font under the family the charts use (once).
pub fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        plotters::style::register_font(FONT_FAMILY, FontStyle::Normal, FONT).is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| anyhow!("the embedded chart font could not be loaded"))
}

/// Most pixels per logical pixel a PNG may have (`--png-scale`).
pub const MAX_PNG_SCALE: u32 = 4;

/// Pixel density of the PNG files unless `--png-scale` says otherwise.
pub const DEFAULT_PNG_SCALE: u32 = 2;

/// One thing drawn, in logical pixels.
enum Shape {
    Pixel(BackendCoord, BackendColor),
    Line(BackendCoord, BackendCoord, Stroke),
    Rect(BackendCoord, BackendCoord, Stroke, bool),
    Path(Vec<BackendCoord>, Stroke),
    Circle(BackendCoord, u32, Stroke, bool),
    Polygon(Vec<BackendCoord>, BackendColor),
    Text(TextShape),
}

/// A color and line width.
#[derive(Clone, Copy)]
struct Stroke {
    color: BackendColor,
    width: u32,
}

impl Stroke {
    fn of<S: BackendStyle>(style: &S) -> Stroke {
        Stroke {
            color: style.color(),
            width: style.stroke_width(),
        }
    }

    /// The stroke `scale` times as wide, as a plotters style.
    fn scaled(self, scale: f64) -> ShapeStyle {
        ShapeStyle {
            color: rgba(self.color),
            filled: false,
            stroke_width: ((self.width as f64 * scale).round() as u32).max(1),
        }
    }
}

fn rgba(color: BackendColor) -> RGBAColor {
    RGBAColor(color.rgb.0, color.rgb.1, color.rgb.2, color.alpha)
}

/// A text, its size (plotters' size: the em is `size / 1.24` pixels), color,
/// anchor and rotation.
struct TextShape {
    text: String,
    at: BackendCoord,
    size: f64,
    color: BackendColor,
    anchor: Pos,
    transform: FontTransform,
}

/// A plotters backend that records what is drawn on it into a list it
/// borrows (as plotters' bitmap backend borrows its pixels).
pub struct Recorder<'a> {
    size: (u32, u32),
    shapes: &'a mut Vec<Shape>,
}

type Drawn = Result<(), DrawingErrorKind<Infallible>>;

impl DrawingBackend for Recorder<'_> {
    type ErrorType = Infallible;

    fn get_size(&self) -> (u32, u32) {
        self.size
    }

    fn ensure_prepared(&mut self) -> Drawn {
        Ok(())
    }

    fn present(&mut self) -> Drawn {
        Ok(())
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
        self.shapes.push(Shape::Pixel(point, color));
        Ok(())
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Drawn {
        self.shapes.push(Shape::Line(from, to, Stroke::of(style)));
        Ok(())
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Drawn {
        let shape = Shape::Rect(upper_left, bottom_right, Stroke::of(style), fill);
        self.shapes.push(shape);
        Ok(())
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Drawn {
        let points = path.into_iter().collect();
        self.shapes.push(Shape::Path(points, Stroke::of(style)));
        Ok(())
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Drawn {
        let shape = Shape::Circle(center, radius, Stroke::of(style), fill);
        self.shapes.push(shape);
        Ok(())
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Drawn {
        let points = vert.into_iter().collect();
        self.shapes.push(Shape::Polygon(points, style.color()));
        Ok(())
    }

    fn draw_text<T: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &T,
        pos: BackendCoord,
    ) -> Drawn {
        self.shapes.push(Shape::Text(TextShape {
            text: text.to_string(),
            at: pos,
            size: style.size(),
            color: style.color(),
            anchor: style.anchor(),
            transform: style.transform(),
        }));
        Ok(())
    }
}

/// A recorded picture: its logical size and shapes.
pub struct Recording {
    size: (u32, u32),
    shapes: Vec<Shape>,
}

/// The drawing area charts draw on.
pub type Canvas<'a> = DrawingArea<Recorder<'a>, plotters::coord::Shift>;

/// Draws a picture of `width` × `height` logical pixels on a white ground.
pub fn record(
    width: u32,
    height: u32,
    draw: impl FnOnce(&Canvas<'_>) -> Result<()>,
) -> Result<Recording> {
    ensure_font()?;
    let mut shapes = Vec::new();
    {
        let recorder = Recorder {
            size: (width, height),
            shapes: &mut shapes,
        };
        let area = recorder.into_drawing_area();
        area.fill(&WHITE).map_err(drawing_failed)?;
        draw(&area)?;
    }
    Ok(Recording {
        size: (width, height),
        shapes,
    })
}

impl Recording {
    /// The picture's size in logical pixels.
    pub fn size(&self) -> (u32, u32) {
        self.size
    }

    /// The picture as PNG bytes, `scale` pixels per logical pixel (text too).
    pub fn png(&self, scale: u32) -> Result<Vec<u8>> {
        let scale = scale.clamp(1, MAX_PNG_SCALE);
        let (width, height) = (self.size.0 * scale, self.size.1 * scale);
        let mut pixels = vec![255u8; width as usize * height as usize * 3];
        {
            let mut backend = BitMapBackend::with_buffer(&mut pixels, (width, height));
            let font = FontRef::try_from_slice(FONT)
                .map_err(|_| anyhow!("the embedded chart font could not be loaded"))?;
            let scale = scale as f64;
            for shape in &self.shapes {
                match shape {
                    Shape::Text(text) => set_text(&mut backend, &font, text, scale),
                    other => replay(&mut backend, other, scale)?,
                }
            }
            backend.present().map_err(drawing_failed)?;
        }
        encode_png(&pixels, width, height)
    }

    /// The picture as an `<svg>` element for an HTML page: it takes the width
    /// of its box (viewBox, no fixed size), and `label` says what it shows.
    pub fn svg(&self, label: &str) -> Result<String> {
        let mut out = String::new();
        {
            let mut backend = SVGBackend::with_string(&mut out, self.size);
            for shape in &self.shapes {
                match shape {
                    Shape::Text(text) => svg_text(&mut backend, text)?,
                    other => replay(&mut backend, other, 1.0)?,
                }
            }
            backend.present().map_err(drawing_failed)?;
        }
        Ok(inline_svg(&out, self.size, label))
    }
}

fn drawing_failed<E: std::fmt::Display>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e}")
}

/// A shape other than text drawn on `backend`, `scale` times as large.
fn replay<DB: DrawingBackend>(backend: &mut DB, shape: &Shape, scale: f64) -> Result<()> {
    let at = |(x, y): BackendCoord| {
        (
            (x as f64 * scale).round() as i32,
            (y as f64 * scale).round() as i32,
        )
    };
    let points = |path: &[BackendCoord]| path.iter().map(|&p| at(p)).collect::<Vec<_>>();
    let drawn = match shape {
        Shape::Pixel(point, color) if scale == 1.0 => backend.draw_pixel(*point, *color),
        Shape::Pixel(point, color) => {
            let (x, y) = at(*point);
            let far = (x + scale as i32 - 1, y + scale as i32 - 1);
            backend.draw_rect((x, y), far, &rgba(*color), true)
        }
        Shape::Line(from, to, stroke) => {
            backend.draw_line(at(*from), at(*to), &stroke.scaled(scale))
        }
        Shape::Rect(from, to, stroke, fill) => {
            backend.draw_rect(at(*from), at(*to), &stroke.scaled(scale), *fill)
        }
        Shape::Path(path, stroke) => backend.draw_path(points(path), &stroke.scaled(scale)),
        Shape::Circle(center, radius, stroke, fill) => {
            let radius = (*radius as f64 * scale).round() as u32;
            backend.draw_circle(at(*center), radius, &stroke.scaled(scale), *fill)
        }
        Shape::Polygon(path, color) => backend.fill_polygon(points(path), &rgba(*color)),
        Shape::Text(_) => Ok(()),
    };
    drawn.map_err(drawing_failed)
}

/// Where a text's baseline lies below its anchor, in ems: as the SVG backend
/// places it (`dy` of 0.76em, 0.5ex, -0.5ex), so both pictures agree.
fn baseline_ems(anchor: Pos) -> f64 {
    match anchor.v_pos {
        VPos::Top => 0.76,
        VPos::Center => 0.27,
        VPos::Bottom => -0.27,
    }
}

/// Sets a text into the pixels, `scale` times as large: glyphs placed on one
/// baseline with kerning, anti-aliased, turned as the text asks.
fn set_text(backend: &mut BitMapBackend<'_>, font: &FontRef<'_>, text: &TextShape, scale: f64) {
    if text.color.alpha == 0.0 {
        return;
    }
    let em = text.size / 1.24 * scale;
    let units = font.units_per_em().unwrap_or(2048.0) as f64;
    let px = PxScale::from((em * font.height_unscaled() as f64 / units) as f32);
    let scaled = font.as_scaled(px);
    let mut glyphs = Vec::with_capacity(text.text.len());
    let mut x = 0f32;
    let mut previous = None;
    for c in text.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(previous) = previous {
            x += scaled.kern(previous, id);
        }
        glyphs.push(id.with_scale_and_position(px, point(x, 0.0)));
        x += scaled.h_advance(id);
        previous = Some(id);
    }
    let dx = match text.anchor.h_pos {
        HPos::Left => 0.0,
        HPos::Center => -(x as f64) / 2.0,
        HPos::Right => -(x as f64),
    };
    let baseline = baseline_ems(text.anchor) * em;
    let origin = (
        (text.at.0 as f64 * scale).round() as i32,
        (text.at.1 as f64 * scale).round() as i32,
    );
    for glyph in glyphs {
        let Some(outline) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, coverage| {
            let lx = (bounds.min.x as f64 + gx as f64 + dx).round() as i32;
            let ly = (bounds.min.y as f64 + gy as f64 + baseline).round() as i32;
            let (tx, ty) = text.transform.transform(lx, ly);
            let color = BackendColor {
                alpha: text.color.alpha * coverage.clamp(0.0, 1.0) as f64,
                rgb: text.color.rgb,
            };
            // Drawing a pixel into a buffer cannot fail; outside it is skipped.
            let _ = backend.draw_pixel((origin.0 + tx, origin.1 + ty), color);
        });
    }
}

/// A text drawn by the SVG backend: a `<text>` element the browser sets.
fn svg_text(backend: &mut SVGBackend<'_>, text: &TextShape) -> Result<()> {
    let font = (FONT_FAMILY, text.size)
        .into_font()
        .transform(text.transform.clone());
    let color = rgba(text.color);
    let style = TextStyle::from(font).color(&color).pos(text.anchor);
    backend
        .draw_text(&text.text, &style, text.at)
        .map_err(drawing_failed)
}

/// The SVG backend's document as an element of a page: no fixed size (CSS
/// gives it the width of its box), no namespace (HTML's parser adds it), a
/// class, a role and a label.
fn inline_svg(document: &str, (width, height): (u32, u32), label: &str) -> String {
    let body = document.split_once('\n').map_or(document, |(_, rest)| rest);
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\">\n{body}",
        attribute(label)
    )
}

/// Text for a double-quoted HTML attribute.
fn attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// RGB pixels as PNG bytes.
fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(pixels)?;
    writer.finish()?;
    Ok(out)
}

/// Checks a `--png-scale` value: a whole number from 1 to [`MAX_PNG_SCALE`].
pub fn check_png_scale(scale: u32) -> Result<u32, String> {
    match scale {
        1..=MAX_PNG_SCALE => Ok(scale),
        _ => Err(format!(
            "{scale} is not a pixel density coreheat draws: use 1 (one pixel per point) to \
             {MAX_PNG_SCALE}; the default, {DEFAULT_PNG_SCALE}, suits high-density screens"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::charts;

    /// "1.5" on a 60 × 30 picture.
    fn dotted() -> Recording {
        let recording = record(60, 30, |area| {
            let style = charts::font(14.0).pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&Text::new("1.5".to_string(), (4, 15), style))
                .map_err(charts::err)?;
            Ok(())
        })
        .unwrap();
        assert_eq!(recording.size(), (60, 30));
        recording
    }

    /// The rows of a decoded PNG that have any dark pixel in columns `x0..x1`.
    fn inked_rows(png: &[u8], x0: usize, x1: usize) -> Vec<usize> {
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut pixels).unwrap();
        let width = info.width as usize;
        (0..info.height as usize)
            .filter(|&y| (x0..x1).any(|x| pixels[(y * width + x) * 3] < 128))
            .collect()
    }

    #[test]
    fn png_scale_multiplies_the_pixels_and_the_text() {
        let recording = dotted();
        let one = recording.png(1).unwrap();
        let two = recording.png(2).unwrap();
        let (ink1, ink2) = (inked_rows(&one, 0, 60), inked_rows(&two, 0, 120));
        let tall = |rows: &[usize]| rows.last().unwrap() - rows.first().unwrap() + 1;
        assert!(tall(&ink2) >= 2 * tall(&ink1) - 2, "{ink1:?} {ink2:?}");
    }

    #[test]
    fn the_decimal_point_sits_on_the_baseline() {
        let png = dotted().png(4).unwrap();
        // "1.5" at 14 (an em of 11.3 px) from x = 4: the "1" is about 0.64 em
        // wide, the point right after it.
        let digit = inked_rows(&png, 4 * 4, 4 * 8);
        let point = inked_rows(&png, 4 * 12, 4 * 14);
        assert!(!point.is_empty(), "the point is drawn");
        assert!(
            point.last().unwrap().abs_diff(*digit.last().unwrap()) <= 1,
            "the point ends on the digit's baseline: digit rows {digit:?}, point rows {point:?}"
        );
    }

    #[test]
    fn svg_scales_to_its_box_and_names_no_network_address() {
        let svg = dotted().svg("a \"label\" <b>").unwrap();
        assert!(svg.starts_with(
            "<svg class=\"chart\" viewBox=\"0 0 60 30\" role=\"img\" aria-label=\"a &quot;label&quot; &lt;b&gt;\">"
        ));
        assert!(!svg.contains("http"), "{svg}");
        assert!(
            svg.contains(">\n1.5\n</text>") || svg.contains(">1.5<"),
            "{svg}"
        );
    }

    #[test]
    fn png_scale_outside_one_to_four_is_refused_with_the_range() {
        assert_eq!(check_png_scale(3), Ok(3));
        for bad in [0, 5] {
            let message = check_png_scale(bad).unwrap_err();
            assert!(message.contains("1") && message.contains("4"), "{message}");
        }
    }
}
