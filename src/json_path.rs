//! Where a value sits in a JSON document, as messages name it (`options[0].monthly[3].cash_out`):
//! shared by the readers that walk a document with serde (JSON results in `diff`, the Philly
//! job log in `replay`) to name a key written twice.

/// A chain of keys and array positions from the document's root (or a job's), built on the
/// stack as the walk goes down and spelled out only when a message needs it.
#[derive(Clone, Copy)]
pub(crate) enum Step<'p> {
    Root,
    Key(&'p Step<'p>, &'p str),
    Index(&'p Step<'p>, usize),
}

impl Step<'_> {
    /// `options[0].monthly[3].cash_out`, each key as [`shortened`] shows it.
    pub(crate) fn path(&self) -> String {
        match self {
            Step::Root => String::new(),
            Step::Key(Step::Root, k) => shortened(k),
            Step::Key(parent, k) => format!("{}.{}", parent.path(), shortened(k)),
            Step::Index(parent, i) => format!("{}[{i}]", parent.path()),
        }
    }
}

/// `text` cut to 60 characters (with `…` when cut) and its control characters escaped.
pub(crate) fn shortened(text: &str) -> String {
    let mut shown: String = text.chars().take(60).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    crate::limits::printable(&shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_keys_and_positions_with_long_keys_cut_and_controls_escaped() {
        let root = Step::Root;
        let options = Step::Key(&root, "options");
        let first = Step::Index(&options, 0);
        let long = "k".repeat(61);
        let key = Step::Key(&first, &long);
        assert_eq!(key.path(), format!("options[0].{}…", "k".repeat(60)));
        let top = Step::Index(&root, 2);
        let red = Step::Key(&top, "a\u{1b}[31m");
        assert_eq!(red.path(), "[2].a\\u{1b}[31m");
        assert_eq!(root.path(), "");
    }
}
