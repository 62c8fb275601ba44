//! Text layout of the charts, as pure functions of the text and a measure of its width: titles
//! and legend labels wrap instead of being clipped, option names under bars are written whole,
//! wrapped, or as key letters (the key in the legend) so that no two run into each other, and
//! hatching is cut to its rectangle. Kept apart from drawing so that it is tested alone.

/// Width [px] of a text at a font size, as the charts measure it.
pub(super) type Width<'a> = &'a dyn Fn(&str, u32) -> u32;

/// Room left between two labels under neighbouring slots [px].
pub(super) const SLOT_PAD: u32 = 8;
/// The smallest font size at which option names are written under their slots; below it, key
/// letters stand for them.
pub(super) const MIN_NAME_SIZE: u32 = 12;
/// The smallest font size of key letters.
const MIN_KEY_SIZE: u32 = 10;
/// Most lines a name, or a note, is wrapped into under a slot.
const MAX_SLOT_LINES: usize = 2;

/// Characters after which a line may break: a name like `hybrid-own-6-burst-aws` wraps at its
/// hyphens rather than inside a word.
fn breaks_after(c: char) -> bool {
    matches!(c, ' ' | '-' | '_' | '/' | '.' | ',' | ':' | ';' | ')' | ']')
}

/// Breaks `text` into lines no wider than `max` px at `size`: after a space or punctuation
/// where it can (see [`breaks_after`]), between characters where a piece alone is too wide.
/// Spaces at the ends of lines are dropped, so the lines joined give back the text less those
/// spaces; every line has at least one character, even if that character is wider than `max`.
pub(super) fn wrap(text: &str, max: u32, size: u32, width: Width) -> Vec<String> {
    let fits = |s: &str| width(s.trim_end(), size) <= max;
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if breaks_after(c) {
            pieces.push(std::mem::take(&mut piece));
        }
    }
    if !piece.is_empty() {
        pieces.push(piece);
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for piece in pieces {
        if line.is_empty() && piece.trim().is_empty() {
            continue;
        }
        let joined = format!("{line}{piece}");
        if fits(&joined) {
            line = joined;
            continue;
        }
        if !line.is_empty() {
            lines.push(line.trim_end().to_string());
            line = String::new();
        }
        let piece = piece.trim_start();
        if fits(piece) {
            line = piece.to_string();
            continue;
        }
        // A piece wider than a whole line: break it between characters.
        for c in piece.chars() {
            let longer = format!("{line}{c}");
            if line.is_empty() || fits(&longer) {
                line = longer;
            } else {
                lines.push(line.trim_end().to_string());
                line = c.to_string();
            }
        }
    }
    let last = line.trim_end();
    if !last.is_empty() || lines.is_empty() {
        lines.push(last.to_string());
    }
    lines
}

/// The key of the option at `index` (scenario order): A to Z, then AA, AB, ... (bijective
/// base 26), the same in every chart.
pub(super) fn key(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let r = (n - 1) % 26;
        letters.push(char::from(b'A' + r as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// How the options are named under their slots (one slot per option, in scenario order).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SlotLabels {
    /// Font size of the labels.
    pub size: u32,
    /// Per option, the lines under its slot, top first: its name and its note, each wrapped;
    /// or its key letter; or none, where even letters would not fit under every slot.
    pub lines: Vec<Vec<String>>,
    /// Whether key letters stand for the names (the legend then carries the key).
    pub keyed: bool,
}

impl SlotLabels {
    /// The most lines under any slot.
    pub fn depth(&self) -> usize {
        self.lines.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// Lays out the labels of slots `slot` px wide, each option given by its name and an optional
/// note (`leaves 60% unmet`) written on a line of its own, at the largest font size up to
/// `largest` at which they fit with [`SLOT_PAD`] px between neighbours: each on one line if
/// they fit at [`MIN_NAME_SIZE`] or more, else wrapped into at most two lines each, else key
/// letters (every k-th slot only, where even letters do not fit under each).
pub(super) fn slot_labels(
    labels: &[(String, Option<String>)],
    slot: u32,
    largest: u32,
    width: Width,
) -> SlotLabels {
    let room = slot.saturating_sub(SLOT_PAD);
    let sizes = || (MIN_NAME_SIZE..=largest.max(MIN_NAME_SIZE)).rev();
    let fit = |lines: &[Vec<String>], size: u32| {
        lines.iter().flatten().all(|line| width(line, size) <= room)
    };
    for size in sizes() {
        let lines: Vec<Vec<String>> = labels
            .iter()
            .map(|(name, note)| std::iter::once(name.clone()).chain(note.clone()).collect())
            .collect();
        if fit(&lines, size) {
            return SlotLabels {
                size,
                lines,
                keyed: false,
            };
        }
    }
    for size in sizes() {
        let wrapped: Option<Vec<Vec<String>>> = labels
            .iter()
            .map(|(name, note)| {
                let mut lines = wrap(name, room, size, width);
                let note = note.as_ref().map(|n| wrap(n, room, size, width));
                if lines.len() > MAX_SLOT_LINES
                    || note.as_ref().is_some_and(|n| n.len() > MAX_SLOT_LINES)
                {
                    return None;
                }
                lines.extend(note.into_iter().flatten());
                Some(lines)
            })
            .collect();
        if let Some(lines) = wrapped.filter(|lines| fit(lines, size)) {
            return SlotLabels {
                size,
                lines,
                keyed: false,
            };
        }
    }
    let keys: Vec<String> = (0..labels.len()).map(key).collect();
    let key_size = (MIN_KEY_SIZE..=largest.max(MIN_KEY_SIZE))
        .rev()
        .find(|size| keys.iter().all(|k| width(k, *size) <= room))
        .unwrap_or(MIN_KEY_SIZE);
    // Where even the smallest letters are wider than a slot, only every `stride`-th is written.
    let widest = keys
        .iter()
        .map(|k| width(k, key_size) + SLOT_PAD)
        .max()
        .unwrap_or(0);
    let stride = widest.div_ceil(slot.max(1)).max(1) as usize;
    SlotLabels {
        size: key_size,
        lines: keys
            .into_iter()
            .enumerate()
            .map(|(i, k)| if i % stride == 0 { vec![k] } else { Vec::new() })
            .collect(),
        keyed: true,
    }
}

/// Where a legend entry goes: `x` px from the left of the legend band, in row `row`, its label
/// in one or more lines (one row each).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Placed {
    pub x: i32,
    pub row: usize,
    pub lines: Vec<String>,
}

/// Flows legend entries left to right into rows of `width` px. An entry takes `extra` px
/// besides its label (swatch and gaps); a label too wide for a row of its own is wrapped, and
/// takes as many rows as lines. Returns the entries' places and the number of rows.
pub(super) fn legend(
    labels: &[String],
    width: i32,
    extra: i32,
    size: u32,
    measure: Width,
) -> (Vec<Placed>, usize) {
    let mut placed = Vec::with_capacity(labels.len());
    let (mut row, mut x, mut rows) = (0usize, 0i32, 0usize);
    for label in labels {
        let w = extra + measure(label, size) as i32;
        let lines = if w > width {
            wrap(label, (width - extra).max(1) as u32, size, measure)
        } else {
            vec![label.clone()]
        };
        let w = if lines.len() > 1 { width } else { w };
        if rows == 0 {
            rows = 1;
        } else if x + w > width && x > 0 {
            row = rows;
            rows += 1;
            x = 0;
        }
        let height = lines.len();
        placed.push(Placed {
            x: 20 + x,
            row,
            lines,
        });
        if height > 1 {
            rows = row + height;
            row = rows;
            x = width;
        } else {
            x += w;
        }
    }
    (placed, rows)
}

/// Segments of hatching that fill the rectangle from `(x0, y0)` to `(x1, y1)` (pixels, y down):
/// lines rising to the right at 45°, `gap` px apart on a grid shared by every rectangle (so the
/// hatching of stacked bars lines up), each cut to the rectangle.
pub(super) fn hatch_segments(
    (x0, y0): (i32, i32),
    (x1, y1): (i32, i32),
    gap: i32,
) -> Vec<[(i32, i32); 2]> {
    let (x0, x1) = (x0.min(x1), x0.max(x1));
    let (y0, y1) = (y0.min(y1), y0.max(y1));
    let gap = gap.max(1);
    let mut out = Vec::new();
    // Each line is x + y = c; the rectangle spans c from x0 + y0 to x1 + y1.
    let mut c = (x0 + y0).div_euclid(gap) * gap;
    while c <= x1 + y1 {
        let lo = x0.max(c - y1);
        let hi = x1.min(c - y0);
        if lo < hi {
            out.push([(lo, c - lo), (hi, c - hi)]);
        }
        c += gap;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A monospaced measure: 7 px per character at size 12, in proportion at other sizes.
    fn mono(text: &str, size: u32) -> u32 {
        (text.chars().count() as u32 * 7 * size).div_ceil(12)
    }

    #[test]
    fn wrapping_breaks_at_punctuation_and_keeps_every_character() {
        let name = "hybrid-own-6-burst-aws-frankfurt";
        let lines = wrap(name, 84, 12, &mono);
        assert_eq!(lines, vec!["hybrid-own-", "6-burst-aws-", "frankfurt"]);
        assert_eq!(lines.concat(), name);
        let title = "Sensitivity of a rather long option name's PV cost";
        let lines = wrap(title, 140, 12, &mono);
        assert!(lines.iter().all(|l| mono(l, 12) <= 140), "{lines:?}");
        assert_eq!(lines.join(" "), title);
        // A word wider than the line is broken between characters, never lost.
        let lines = wrap("abcdefghij", 21, 12, &mono);
        assert_eq!(lines, vec!["abc", "def", "ghi", "j"]);
        // Even a line narrower than one character takes one character per line.
        assert_eq!(wrap("ab", 1, 12, &mono), vec!["a", "b"]);
        assert_eq!(wrap("", 100, 12, &mono), vec![String::new()]);
        assert_eq!(wrap("fits", 100, 12, &mono), vec!["fits"]);
    }

    #[test]
    fn keys_are_letters_then_pairs() {
        let keys: Vec<String> = [0, 1, 7, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(key)
            .collect();
        assert_eq!(
            keys,
            ["A", "B", "H", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]
        );
    }

    fn labels(names: &[&str], notes: &[Option<&str>]) -> Vec<(String, Option<String>)> {
        names
            .iter()
            .zip(notes)
            .map(|(n, m)| (n.to_string(), m.map(str::to_string)))
            .collect()
    }

    /// No two labels of neighbouring slots overlap: each line is at most the slot less the pad.
    fn separated(l: &SlotLabels, slot: u32) -> bool {
        l.lines
            .iter()
            .flatten()
            .all(|line| mono(line, l.size) + SLOT_PAD <= slot)
    }

    #[test]
    fn names_that_fit_are_written_whole_at_the_largest_size() {
        let l = slot_labels(&labels(&["own", "rent"], &[None, None]), 200, 16, &mono);
        assert_eq!((l.size, l.keyed), (16, false));
        assert_eq!(l.lines, vec![vec!["own"], vec!["rent"]]);
        // A note takes a line of its own under the name.
        let l = slot_labels(
            &labels(&["own", "rent"], &[None, Some("leaves 60% unmet")]),
            200,
            16,
            &mono,
        );
        assert_eq!(l.lines[1], vec!["rent", "leaves 60% unmet"]);
        assert_eq!(l.depth(), 2);
        assert!(separated(&l, 200));
    }

    #[test]
    fn long_names_wrap_and_then_become_letters() {
        let names: Vec<String> = (0..8)
            .map(|i| format!("option-{i}-with-a-rather-long-name"))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let none = vec![None; 8];
        // 135 px slots: two lines of at most 127 px each.
        let l = slot_labels(&labels(&refs, &none), 135, 16, &mono);
        assert!(!l.keyed);
        assert!(l.lines.iter().all(|lines| lines.len() == 2), "{l:?}");
        assert!(separated(&l, 135));
        for (lines, name) in l.lines.iter().zip(&names) {
            assert_eq!(&lines.concat(), name);
        }
        // 62 px slots: letters, at the largest size.
        let l = slot_labels(&labels(&refs, &none), 62, 14, &mono);
        assert!(l.keyed);
        assert_eq!(l.size, 14);
        assert_eq!(l.lines[0], vec!["A"]);
        assert_eq!(l.lines[7], vec!["H"]);
        assert!(separated(&l, 62));
    }

    #[test]
    fn letters_thin_out_where_even_they_do_not_fit() {
        let names: Vec<String> = (0..1000).map(|i| format!("o{i}")).collect();
        let all: Vec<(String, Option<String>)> = names.iter().map(|n| (n.clone(), None)).collect();
        let l = slot_labels(&all, 1, 16, &mono);
        assert!(l.keyed);
        let written: Vec<(usize, &String)> = l
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, lines)| lines.first().map(|k| (i, k)))
            .collect();
        assert_eq!(written[0], (0, &"A".to_string()));
        // Written letters are far enough apart for the widest of them.
        let stride = written[1].0 - written[0].0;
        let widest = (0..1000).map(|i| mono(&key(i), l.size)).max().unwrap();
        assert!(stride as u32 >= widest + SLOT_PAD, "stride {stride}");
        // A zero-width slot does not divide by zero.
        assert!(slot_labels(&all[..3], 0, 16, &mono).keyed);
    }

    #[test]
    fn legend_entries_flow_into_rows_and_long_ones_wrap() {
        let labels: Vec<String> = ["aaaa", "bbbb", "cccc"].map(String::from).to_vec();
        // Each entry is 10 + 28 px wide: two fit in a row of 80.
        let (placed, rows) = legend(&labels, 80, 10, 12, &mono);
        assert_eq!(rows, 2);
        assert_eq!(
            placed.iter().map(|p| (p.x, p.row)).collect::<Vec<_>>(),
            vec![(20, 0), (58, 0), (20, 1)]
        );
        let long = vec![
            "a".to_string(),
            "a label much wider than the row".to_string(),
            "b".to_string(),
        ];
        let (placed, rows) = legend(&long, 120, 10, 12, &mono);
        assert_eq!(placed[1].row, 1, "a wrapped entry starts a row");
        assert!(placed[1].lines.len() > 1);
        assert!(
            placed[1]
                .lines
                .iter()
                .all(|l| mono(l, 12) as i32 + 10 <= 120)
        );
        assert_eq!(placed[1].lines.join(" "), long[1]);
        assert_eq!(
            placed[2].row,
            1 + placed[1].lines.len(),
            "and the next follows it"
        );
        assert_eq!(rows, placed[2].row + 1);
        assert_eq!(legend(&[], 100, 10, 12, &mono).1, 0);
    }

    #[test]
    fn hatching_stays_inside_its_rectangle() {
        let segments = hatch_segments((10, 20), (50, 100), 8);
        assert!(!segments.is_empty());
        for [(ax, ay), (bx, by)] in &segments {
            for (x, y) in [(ax, ay), (bx, by)] {
                assert!((10..=50).contains(x) && (20..=100).contains(y));
            }
            assert_eq!(ax + ay, bx + by, "45 degrees");
            assert!(bx > ax);
        }
        // Lines lie on one grid whatever the rectangle, so stacked bars' hatching lines up.
        for [(x, y), _] in hatch_segments((13, 7), (40, 31), 8) {
            assert_eq!((x + y).rem_euclid(8), 0);
        }
        assert!(
            hatch_segments((5, 5), (5, 40), 8).is_empty(),
            "no width, no lines"
        );
    }
}
