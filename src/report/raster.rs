//! The busy map of a trace with many CPUs, each row drawn as a one-pixel-high
//! image as fine as the page is wide: hundreds of columns where SVG cells,
//! held to the page's cell budget, would leave a few dozen.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::color::{BUSY, DARK_BUSY, Ramp, level};
use super::timeaxis::{TimeAxis, svg_number};
use crate::summary::trace_summary::Column;

/// Pixels across each row's image: finer than any screen shows the map, so
/// each column is drawn within a pixel of where its time falls.
pub const ROW_PIXELS: usize = 1200;

/// The palette index of a pixel without data (after the 101 levels of busy).
const NO_DATA: u8 = 101;

/// Two SVG `<image>` elements drawing heat-map row `row` of `columns` (which
/// carry per-row busy figures) on `axis`: one in the light theme's colors,
/// one in the dark theme's; the page's stylesheet shows one of them. Empty
/// when there are no columns.
pub fn row_images(columns: &[Column], row: usize, axis: &TimeAxis) -> String {
    let (Some(first), Some(last)) = (columns.first(), columns.last()) else {
        return String::new();
    };
    let levels = resample(columns, row);
    let x = axis.offset(first.t_start);
    let width = axis.offset(last.t_end) - x;
    let (x, width) = (svg_number(x), svg_number(width));
    [("rl", &BUSY, LIGHT_NO_DATA), ("rd", &DARK_BUSY, DARK_NO_DATA)]
        .into_iter()
        .map(|(class, ramp, no_data)| {
            let png = indexed_png(&levels, &palette(ramp, no_data));
            format!(
                r#"<image x="{x}" width="{width}" height="1" preserveAspectRatio="none" class="{class}" href="data:image/png;base64,{}"/>"#,
                STANDARD.encode(png)
            )
        })
        .collect()
}

/// The page's "no data" colors (`--nodata` in report.css), light and dark.
const LIGHT_NO_DATA: [u8; 3] = [0xd8, 0xd8, 0xd8];
const DARK_NO_DATA: [u8; 3] = [0x4a, 0x4a, 0x50];

/// The row's busy level (0..=100, or [`NO_DATA`]) at each of [`ROW_PIXELS`]
/// pixels spread evenly from the first column's start to the last's end: the
/// column whose time holds the pixel's middle.
fn resample(columns: &[Column], row: usize) -> Vec<u8> {
    let t0 = columns[0].t_start;
    let span = columns[columns.len() - 1].t_end - t0;
    (0..ROW_PIXELS)
        .map(|pixel| {
            let t = t0 + span * (pixel as f64 + 0.5) / ROW_PIXELS as f64;
            let index = columns
                .partition_point(|c| c.t_end <= t)
                .min(columns.len() - 1);
            columns[index]
                .rows
                .get(row)
                .and_then(|busy| busy.mean())
                .map_or(NO_DATA, level)
        })
        .collect()
}

/// The palette: the ramp's 101 levels, then the no-data color.
fn palette(ramp: &Ramp, no_data: [u8; 3]) -> Vec<u8> {
    let mut colors = Vec::with_capacity(3 * (usize::from(NO_DATA) + 1));
    for percent in 0..=100 {
        let color = ramp.at(f64::from(percent));
        colors.extend_from_slice(&[color.0, color.1, color.2]);
    }
    colors.extend_from_slice(&no_data);
    colors
}

/// A one-row PNG of palette indexes.
fn indexed_png(indexes: &[u8], palette: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, indexes.len() as u32, 1);
    encoder.set_color(png::ColorType::Indexed);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_palette(palette.to_vec());
    encoder.set_compression(png::Compression::Best);
    // Writing into memory cannot fail: the sizes and the palette are ours.
    let mut writer = encoder.write_header().expect("a PNG header in memory");
    writer
        .write_image_data(indexes)
        .expect("PNG data in memory");
    drop(writer);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::trace_summary::RowBusy;

    fn column(t_start: f64, t_end: f64, busy: Option<f64>) -> Column {
        Column {
            t_end,
            samples: 1,
            rows: vec![RowBusy {
                sum: busy.unwrap_or(0.0),
                n: u32::from(busy.is_some()),
            }],
            ..Column::empty(0, t_start)
        }
    }

    #[test]
    fn each_pixel_takes_the_column_its_time_falls_in_to_scale() {
        // A 0.5 s baseline column then three of 1 s: 3.5 s over 1 200 pixels.
        let columns = [
            column(0.0, 0.5, Some(0.0)),
            column(0.5, 1.5, Some(100.0)),
            column(1.5, 2.5, None),
            column(2.5, 3.5, Some(42.4)),
        ];
        let levels = resample(&columns, 0);
        let at = |t: f64| levels[(t / 3.5 * ROW_PIXELS as f64) as usize];
        assert_eq!([at(0.25), at(1.0), at(2.0), at(3.0)], [0, 100, NO_DATA, 42]);
        // The baseline is a seventh of the width, not a quarter.
        let idle = levels.iter().take_while(|&&l| l == 0).count();
        assert_eq!(idle, (ROW_PIXELS as f64 / 7.0).round() as usize, "{idle}");
    }

    #[test]
    fn a_row_image_is_a_png_of_its_levels_in_each_themes_colors() {
        let columns = [column(0.0, 1.0, Some(100.0))];
        let axis = TimeAxis::shared(&columns, 0.0);
        let images = row_images(&columns, 0, &axis);
        assert_eq!(images.matches("<image ").count(), 2);
        assert!(images.contains(r#"class="rl""#) && images.contains(r#"class="rd""#));
        let encoded = images
            .split("base64,")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        let png = STANDARD.decode(encoded).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        let mut pixels = vec![0; reader.output_buffer_size()];
        reader.next_frame(&mut pixels).unwrap();
        assert_eq!(reader.info().width as usize, ROW_PIXELS);
        assert!(pixels.iter().all(|&p| p == 100), "all at the top level");
        let palette = reader.info().palette.as_ref().unwrap();
        let top = BUSY.at(100.0);
        assert_eq!(&palette[300..303], &[top.0, top.1, top.2]);
    }
}
