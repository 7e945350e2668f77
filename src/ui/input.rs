//! Typing text: the keys a text field understands, and the display filter
//! being typed. The key map does not apply while a field has the focus.

/// Keys while typing text (the display filter, the filter form, the save
/// dialog's path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    Char(char),
    Backspace,
    Enter,
    Cancel,
    Tab,
    /// Ctrl-U: the whole field.
    ClearLine,
    /// Ctrl-W: the last word (a path component in the save dialog).
    DeleteWord,
    /// Home or Ctrl-A, End or Ctrl-E.
    Home,
    End,
    Up,
    Down,
    Left,
    Right,
}

/// A text field being typed into.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    pub text: String,
    /// The filter before typing began: Esc puts it back.
    pub before: String,
    /// Why the text typed is not a regex (yet): the last filter that was
    /// stays in force meanwhile, and Enter keeps the line open.
    pub error: Option<String>,
}
