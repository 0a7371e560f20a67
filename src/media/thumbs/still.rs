//! PNG and TIFF photos through the `image` crate: these formats have no reduced-scale
//! decode, so they are decoded at full size, within [`Limits`] checked from the header.

use std::io::{BufRead, Seek};

use image::{DynamicImage, ImageDecoder, ImageReader};

use super::render::Source;
use super::{check_size, Limits, ThumbError};

/// Decodes the whole image to RGB8. Transparent pixels are laid on white, as the panel
/// shows them.
pub(super) fn decode<R: BufRead + Seek>(
    r: R,
    limits: &Limits,
    viewable: bool,
) -> Result<Source, ThumbError> {
    let mut reader = ImageReader::new(r)
        .with_guessed_format()
        .map_err(|e| ThumbError::Undecodable(e.to_string()))?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
    let decoder = reader.into_decoder().map_err(|e| image_error(e, 0, 0))?;
    let (w, h) = decoder.dimensions();
    // The decoder's own buffer, then our RGB8 copy of it.
    let needed = decoder
        .total_bytes()
        .saturating_add(u64::from(w) * u64::from(h) * 3);
    check_size(w, h, needed, limits)?;
    let image = DynamicImage::from_decoder(decoder).map_err(|e| image_error(e, w, h))?;
    let rgb = if image.color().has_alpha() {
        on_white(image)
    } else {
        image.into_rgb8().into_raw()
    };
    Ok(Source {
        rgb,
        width: w,
        height: h,
        full_width: w,
        full_height: h,
        reduced: false,
        preview: !viewable || w.max(h) > super::PREVIEW_EDGE,
    })
}

fn on_white(image: DynamicImage) -> Vec<u8> {
    let rgba = image.into_rgba8();
    rgba.pixels()
        .flat_map(|p| {
            let [r, g, b, a] = p.0;
            let a = u16::from(a);
            [r, g, b].map(|c| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8)
        })
        .collect()
}

/// `image`'s limit errors are ours too; the rest is the file's fault.
fn image_error(e: image::ImageError, width: u32, height: u32) -> ThumbError {
    match e {
        image::ImageError::Limits(l) => ThumbError::TooLarge {
            width: width.into(),
            height: height.into(),
            reason: l.to_string(),
        },
        other => ThumbError::Undecodable(other.to_string()),
    }
}
