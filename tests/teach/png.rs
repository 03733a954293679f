//! A small PNG reader for checking screenshots: 8-bit RGB or RGBA, not interlaced (what
//! Chromium writes). Inflate follows RFC 1951 (Mark Adler's puff.c is the model); the zlib
//! stream's Adler-32 is checked, so a decoding error cannot pass unnoticed.

pub struct Image {
    pub width: usize,
    pub height: usize,
    /// RGBA, row-major.
    pub pixels: Vec<[u8; 4]>,
}

pub fn decode(png: &[u8]) -> Result<Image, String> {
    if png.len() < 8 || &png[..8] != b"\x89PNG\r\n\x1a\n" {
        return Err("not a PNG".into());
    }
    let (mut pos, mut idat, mut header) = (8, Vec::new(), None);
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        let kind = &png[pos + 4..pos + 8];
        let body = png.get(pos + 8..pos + 8 + len).ok_or("truncated chunk")?;
        match kind {
            b"IHDR" => header = Some(body.to_vec()),
            b"IDAT" => idat.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        pos += 12 + len;
    }
    let h = header.ok_or("no IHDR")?;
    let width = u32::from_be_bytes(h[0..4].try_into().unwrap()) as usize;
    let height = u32::from_be_bytes(h[4..8].try_into().unwrap()) as usize;
    let (depth, colour, interlace) = (h[8], h[9], h[12]);
    let channels = match colour {
        2 => 3,
        6 => 4,
        c => return Err(format!("colour type {c} not supported")),
    };
    if depth != 8 || interlace != 0 {
        return Err(format!("bit depth {depth}, interlace {interlace} not supported"));
    }
    let raw = zlib(&idat)?;
    let stride = width * channels;
    if raw.len() != height * (stride + 1) {
        return Err(format!("{} bytes of pixel data for {width}×{height}", raw.len()));
    }
    let mut out = vec![0u8; height * stride];
    for y in 0..height {
        let filter = raw[y * (stride + 1)];
        let line = &raw[y * (stride + 1) + 1..(y + 1) * (stride + 1)];
        for x in 0..stride {
            let a = if x >= channels { out[y * stride + x - channels] as i32 } else { 0 };
            let b = if y > 0 { out[(y - 1) * stride + x] as i32 } else { 0 };
            let c = if y > 0 && x >= channels {
                out[(y - 1) * stride + x - channels] as i32
            } else {
                0
            };
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => return Err(format!("filter {f}")),
            };
            out[y * stride + x] = (line[x] as i32 + pred) as u8;
        }
    }
    let pixels = out
        .chunks(channels)
        .map(|p| [p[0], p[1], p[2], if channels == 4 { p[3] } else { 255 }])
        .collect();
    Ok(Image { width, height, pixels })
}

/// A zlib stream: header, deflate data, Adler-32 of the result.
fn zlib(d: &[u8]) -> Result<Vec<u8>, String> {
    if d.len() < 6 || d[0] & 0x0f != 8 || (u16::from(d[0]) << 8 | u16::from(d[1])) % 31 != 0 {
        return Err("not a zlib stream".into());
    }
    let mut bits = Bits {
        d: &d[2..],
        pos: 0,
        bit: 0,
    };
    let out = inflate(&mut bits)?;
    let tail = d.len() - 4;
    let want = u32::from_be_bytes(d[tail..].try_into().unwrap());
    let (mut s1, mut s2) = (1u32, 0u32);
    for &b in &out {
        s1 = (s1 + b as u32) % 65521;
        s2 = (s2 + s1) % 65521;
    }
    if (s2 << 16 | s1) != want {
        return Err("Adler-32 mismatch: the inflated data is wrong".into());
    }
    Ok(out)
}

struct Bits<'a> {
    d: &'a [u8],
    pos: usize,
    bit: u32,
}

impl Bits<'_> {
    fn bits(&mut self, n: u32) -> Result<u32, String> {
        let mut v = 0;
        for k in 0..n {
            let byte = *self.d.get(self.pos).ok_or("deflate data ran out")?;
            v |= ((byte as u32 >> self.bit) & 1) << k;
            self.bit += 1;
            if self.bit == 8 {
                self.bit = 0;
                self.pos += 1;
            }
        }
        Ok(v)
    }
}

/// Canonical Huffman code: how many codes of each length, and the symbols in code order.
struct Huffman {
    count: [u16; 16],
    symbol: Vec<u16>,
}

impl Huffman {
    fn new(lengths: &[u8]) -> Huffman {
        let mut count = [0u16; 16];
        lengths.iter().for_each(|&l| count[l as usize] += 1);
        count[0] = 0;
        let mut offs = [0u16; 16];
        for l in 1..15 {
            offs[l + 1] = offs[l] + count[l];
        }
        let mut symbol = vec![0u16; lengths.len()];
        for (s, &l) in lengths.iter().enumerate() {
            if l != 0 {
                symbol[offs[l as usize] as usize] = s as u16;
                offs[l as usize] += 1;
            }
        }
        Huffman { count, symbol }
    }
    fn decode(&self, b: &mut Bits) -> Result<usize, String> {
        let (mut code, mut first, mut index) = (0i32, 0i32, 0i32);
        for len in 1..16 {
            code |= b.bits(1)? as i32;
            let count = self.count[len] as i32;
            if code - first < count {
                return Ok(self.symbol[(index + code - first) as usize] as usize);
            }
            index += count;
            first = (first + count) << 1;
            code <<= 1;
        }
        Err("bad Huffman code".into())
    }
}

const LBASE: [u16; 29] = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
];
const LEXT: [u8; 29] = [
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
];
const DBASE: [u16; 30] = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385,
    24577,
];
const DEXT: [u8; 30] = [
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
];

fn inflate(b: &mut Bits) -> Result<Vec<u8>, String> {
    let mut out: Vec<u8> = Vec::new();
    loop {
        let last = b.bits(1)?;
        match b.bits(2)? {
            0 => {
                if b.bit != 0 {
                    b.bit = 0;
                    b.pos += 1;
                }
                let h = b.d.get(b.pos..b.pos + 4).ok_or("stored block ran out")?;
                let len = u16::from_le_bytes([h[0], h[1]]) as usize;
                b.pos += 4;
                out.extend_from_slice(b.d.get(b.pos..b.pos + len).ok_or("stored block ran out")?);
                b.pos += len;
            }
            1 => {
                let mut l = [8u8; 288];
                l[144..256].fill(9);
                l[256..280].fill(7);
                codes(b, &mut out, &Huffman::new(&l), &Huffman::new(&[5u8; 30]))?;
            }
            2 => {
                let nlen = b.bits(5)? as usize + 257;
                let ndist = b.bits(5)? as usize + 1;
                let ncode = b.bits(4)? as usize + 4;
                const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
                let mut cl = [0u8; 19];
                for &o in &ORDER[..ncode] {
                    cl[o] = b.bits(3)? as u8;
                }
                let clh = Huffman::new(&cl);
                let mut lengths = Vec::with_capacity(nlen + ndist);
                while lengths.len() < nlen + ndist {
                    let sym = clh.decode(b)?;
                    let (value, repeat) = match sym {
                        0..=15 => (sym as u8, 1),
                        16 => (*lengths.last().ok_or("repeat with no length")?, 3 + b.bits(2)?),
                        17 => (0, 3 + b.bits(3)?),
                        _ => (0, 11 + b.bits(7)?),
                    };
                    lengths.extend(std::iter::repeat_n(value, repeat as usize));
                }
                let (lit, dist) = lengths.split_at(nlen);
                codes(b, &mut out, &Huffman::new(lit), &Huffman::new(&dist[..ndist]))?;
            }
            _ => return Err("invalid block type".into()),
        }
        if last == 1 {
            return Ok(out);
        }
    }
}

fn codes(b: &mut Bits, out: &mut Vec<u8>, lit: &Huffman, dist: &Huffman) -> Result<(), String> {
    loop {
        let sym = lit.decode(b)?;
        match sym {
            0..=255 => out.push(sym as u8),
            256 => return Ok(()),
            _ => {
                let k = sym - 257;
                let len = *LBASE.get(k).ok_or("bad length code")? as usize + b.bits(LEXT[k] as u32)? as usize;
                let d = dist.decode(b)?;
                let back = *DBASE.get(d).ok_or("bad distance code")? as usize + b.bits(DEXT[d] as u32)? as usize;
                if back > out.len() {
                    return Err("distance before the start".into());
                }
                let from = out.len() - back;
                for i in 0..len {
                    out.push(out[from + i]);
                }
            }
        }
    }
}

#[test]
fn the_reader_decodes_a_png_that_graphviz_wrote() {
    // docs/thesis_net.png: the Adler-32 check fails on any inflate mistake.
    let png = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/thesis_net.png")).unwrap();
    let img = decode(&png).unwrap();
    assert!(img.width > 100 && img.height > 100);
    assert_eq!(img.pixels.len(), img.width * img.height);
    // A white background with black text.
    assert!(img.pixels.contains(&[255, 255, 255, 255]) || img.pixels.iter().any(|p| p[..3] == [255, 255, 255]));
    assert!(img.pixels.iter().any(|p| p[0] < 60 && p[1] < 60 && p[2] < 60));
}
