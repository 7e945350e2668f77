//! Keys to actions, once. Views never look at a key code; the help screen is
//! built from this map, so it cannot go stale. Defaults are sngrep's keys plus
//! vim's; `[keys]` in the config file replaces the keys of any action.

use std::collections::BTreeMap;
use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a key can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Up,
    Down,
    PageUp,
    PageDown,
    HalfPageUp,
    HalfPageDown,
    Top,
    Bottom,
    Open,
    Back,
    Quit,
    Select,
    Help,
    Search,
    FilterForm,
    Columns,
    Raw,
    Extended,
    Clear,
    Save,
    Pause,
    Autoscroll,
    OnlyCalls,
    SortNext,
    SortReverse,
    TimeMode,
    MergeByIp,
    ColourMode,
    PaneUp,
    PaneDown,
    Streams,
    SdpDiff,
    ScrollLeft,
    ScrollRight,
    Unassociated,
    Findings,
}

impl Action {
    /// Every action, in the order the help screen lists them.
    pub const ALL: [Action; 36] = [
        Action::Up,
        Action::Down,
        Action::PageUp,
        Action::PageDown,
        Action::HalfPageUp,
        Action::HalfPageDown,
        Action::Top,
        Action::Bottom,
        Action::Open,
        Action::Back,
        Action::Quit,
        Action::Select,
        Action::Help,
        Action::Search,
        Action::FilterForm,
        Action::Columns,
        Action::Raw,
        Action::Extended,
        Action::Clear,
        Action::Save,
        Action::Pause,
        Action::Autoscroll,
        Action::OnlyCalls,
        Action::SortNext,
        Action::SortReverse,
        Action::TimeMode,
        Action::MergeByIp,
        Action::ColourMode,
        Action::PaneUp,
        Action::PaneDown,
        Action::Streams,
        Action::SdpDiff,
        Action::ScrollLeft,
        Action::ScrollRight,
        Action::Unassociated,
        Action::Findings,
    ];

    /// The name used in the config file's `[keys]` table.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
            Self::PageUp => "page_up",
            Self::PageDown => "page_down",
            Self::HalfPageUp => "half_page_up",
            Self::HalfPageDown => "half_page_down",
            Self::Top => "top",
            Self::Bottom => "bottom",
            Self::Open => "open",
            Self::Back => "back",
            Self::Quit => "quit",
            Self::Select => "select",
            Self::Help => "help",
            Self::Search => "search",
            Self::FilterForm => "filter_form",
            Self::Columns => "columns",
            Self::Raw => "raw",
            Self::Extended => "extended",
            Self::Clear => "clear",
            Self::Save => "save",
            Self::Pause => "pause",
            Self::Autoscroll => "autoscroll",
            Self::OnlyCalls => "only_calls",
            Self::SortNext => "sort_next",
            Self::SortReverse => "sort_reverse",
            Self::TimeMode => "time_mode",
            Self::MergeByIp => "merge_by_ip",
            Self::ColourMode => "colour_mode",
            Self::PaneUp => "pane_up",
            Self::PaneDown => "pane_down",
            Self::Streams => "streams",
            Self::SdpDiff => "sdp_diff",
            Self::ScrollLeft => "scroll_left",
            Self::ScrollRight => "scroll_right",
            Self::Unassociated => "unassociated",
            Self::Findings => "findings",
        }
    }

    /// What the action does, for the help screen.
    #[must_use]
    pub fn describe(self) -> &'static str {
        match self {
            Self::Up => "move up",
            Self::Down => "move down",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::HalfPageUp => "half a page up",
            Self::HalfPageDown => "half a page down",
            Self::Top => "go to the first row",
            Self::Bottom => "go to the last row",
            Self::Open => "open: the ladder of the selection, or the message full screen",
            Self::Back => "back to the previous screen (quit from the call list)",
            Self::Quit => "quit",
            Self::Select => {
                "select dialogs (several make one ladder); in the ladder, mark two arrows to compare"
            }
            Self::Help => "this help",
            Self::Search => "display filter: a regex over each row's text",
            Self::FilterForm => "filter form: methods, From/To/source/destination, payload, state",
            Self::Columns => "choose and order the call list's columns",
            Self::Raw => "show or hide the raw message beside the ladder",
            Self::Extended => "extended flow: add legs tied by X-Call-ID",
            Self::Clear => "clear all dialogs",
            Self::Save => "save calls: pcap, pcapng (with RTP), text, ladder, JSON",
            Self::Pause => "pause or resume the capture",
            Self::Autoscroll => "autoscroll: follow new dialogs",
            Self::OnlyCalls => "show only INVITE dialogs",
            Self::SortNext => "sort by the next column",
            Self::SortReverse => "reverse the sort order",
            Self::TimeMode => "ladder time: absolute, delta from previous, from start",
            Self::MergeByIp => "ladder columns: one per ip:port or one per IP",
            Self::ColourMode => "ladder colours: by request/response, by transaction, by Call-ID",
            Self::PaneUp => "scroll the message pane up",
            Self::PaneDown => "scroll the message pane down",
            Self::Streams => "RTP streams of the dialog(s): quality figures and packet rate",
            Self::SdpDiff => {
                "SDP diff: this SDP beside the one it answers or replaces, and what changed"
            }
            Self::ScrollLeft => "streams: show the columns to the left",
            Self::ScrollRight => "streams: show the columns to the right",
            Self::Unassociated => "RTP streams not tied to any dialog (no SDP names them)",
            Self::Findings => "findings by rule, worst first, with what each means and what to try",
        }
    }
}

/// A key with its modifiers, as written in the config: `q`, `F7`, `ctrl-d`,
/// `enter`, `space`, `esc`, `pgdn`...
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    code: KeyCodeOrd,
    ctrl: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum KeyCodeOrd {
    Char(char),
    F(u8),
    Enter,
    Esc,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    Tab,
    Backspace,
}

impl Key {
    /// Reads `ctrl-d`, `F1`, `space`, `G`...
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let (ctrl, rest) = match lower
            .strip_prefix("ctrl-")
            .or_else(|| lower.strip_prefix("c-"))
        {
            Some(r) => (true, r),
            None => (false, lower.as_str()),
        };
        let code = match rest {
            "enter" | "return" => KeyCodeOrd::Enter,
            "esc" | "escape" => KeyCodeOrd::Esc,
            "space" => KeyCodeOrd::Char(' '),
            "up" => KeyCodeOrd::Up,
            "down" => KeyCodeOrd::Down,
            "left" => KeyCodeOrd::Left,
            "right" => KeyCodeOrd::Right,
            "pgup" | "pageup" => KeyCodeOrd::PageUp,
            "pgdn" | "pagedown" => KeyCodeOrd::PageDown,
            "home" => KeyCodeOrd::Home,
            "end" => KeyCodeOrd::End,
            "tab" => KeyCodeOrd::Tab,
            "backspace" => KeyCodeOrd::Backspace,
            f if f.len() >= 2
                && f.starts_with('f')
                && f[1..].chars().all(|c| c.is_ascii_digit()) =>
            {
                KeyCodeOrd::F(f[1..].parse().ok()?)
            }
            _ => {
                // A single character keeps its case (`G` is not `g`).
                let original = s.trim();
                let ch = original
                    .rsplit('-')
                    .next()
                    .filter(|_| ctrl)
                    .unwrap_or(original);
                let mut chars = ch.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c })
            }
        };
        Some(Self { code, ctrl })
    }

    fn from_event(ev: &KeyEvent) -> Option<Self> {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) => KeyCodeOrd::Char(if ctrl { c.to_ascii_lowercase() } else { c }),
            KeyCode::F(n) => KeyCodeOrd::F(n),
            KeyCode::Enter => KeyCodeOrd::Enter,
            KeyCode::Esc => KeyCodeOrd::Esc,
            KeyCode::Up => KeyCodeOrd::Up,
            KeyCode::Down => KeyCodeOrd::Down,
            KeyCode::Left => KeyCodeOrd::Left,
            KeyCode::Right => KeyCodeOrd::Right,
            KeyCode::PageUp => KeyCodeOrd::PageUp,
            KeyCode::PageDown => KeyCodeOrd::PageDown,
            KeyCode::Home => KeyCodeOrd::Home,
            KeyCode::End => KeyCodeOrd::End,
            KeyCode::Tab => KeyCodeOrd::Tab,
            KeyCode::Backspace => KeyCodeOrd::Backspace,
            _ => return None,
        };
        Some(Self { code, ctrl })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("Ctrl-")?;
        }
        match self.code {
            KeyCodeOrd::Char(' ') => f.write_str("Space"),
            KeyCodeOrd::Char(c) => write!(f, "{c}"),
            KeyCodeOrd::F(n) => write!(f, "F{n}"),
            KeyCodeOrd::Enter => f.write_str("Enter"),
            KeyCodeOrd::Esc => f.write_str("Esc"),
            KeyCodeOrd::Up => f.write_str("Up"),
            KeyCodeOrd::Down => f.write_str("Down"),
            KeyCodeOrd::Left => f.write_str("Left"),
            KeyCodeOrd::Right => f.write_str("Right"),
            KeyCodeOrd::PageUp => f.write_str("PgUp"),
            KeyCodeOrd::PageDown => f.write_str("PgDn"),
            KeyCodeOrd::Home => f.write_str("Home"),
            KeyCodeOrd::End => f.write_str("End"),
            KeyCodeOrd::Tab => f.write_str("Tab"),
            KeyCodeOrd::Backspace => f.write_str("Backspace"),
        }
    }
}

/// The key map.
#[derive(Debug, Clone)]
pub struct KeyMap {
    by_action: BTreeMap<Action, Vec<Key>>,
    by_key: BTreeMap<Key, Action>,
}

fn defaults(a: Action) -> &'static [&'static str] {
    match a {
        Action::Up => &["up", "k"],
        Action::Down => &["down", "j"],
        Action::PageUp => &["pgup"],
        Action::PageDown => &["pgdn"],
        Action::HalfPageUp => &["ctrl-u"],
        Action::HalfPageDown => &["ctrl-d"],
        Action::Top => &["home", "g"],
        Action::Bottom => &["end", "G"],
        Action::Open => &["enter"],
        Action::Back => &["esc", "q"],
        Action::Quit => &["ctrl-c", "Q"],
        Action::Select => &["space"],
        Action::Help => &["F1", "h", "?"],
        Action::Search => &["F3", "/"],
        Action::FilterForm => &["F7", "f"],
        Action::Columns => &["F10", "C"],
        Action::Raw => &["F6", "R"],
        Action::Extended => &["F4", "x"],
        Action::Clear => &["F5"],
        Action::Save => &["F2", "s"],
        Action::Pause => &["p"],
        Action::Autoscroll => &["A"],
        Action::OnlyCalls => &["c"],
        Action::SortNext => &[">", "o"],
        Action::SortReverse => &["<", "O"],
        Action::TimeMode => &["t"],
        Action::MergeByIp => &["m"],
        Action::ColourMode => &["l"],
        Action::PaneUp => &["K", "ctrl-p"],
        Action::PaneDown => &["J", "ctrl-n"],
        Action::Streams => &["r", "F8"],
        Action::SdpDiff => &["d"],
        Action::ScrollLeft => &["left"],
        Action::ScrollRight => &["right"],
        Action::Unassociated => &["u"],
        Action::Findings => &["F9", "!"],
    }
}

impl Default for KeyMap {
    fn default() -> Self {
        Self::new(&BTreeMap::new()).0
    }
}

impl KeyMap {
    /// The defaults, with `overrides` (action name → keys) replacing the keys
    /// of the actions they name. Returns the map and complaints about names
    /// or keys it could not read.
    #[must_use]
    pub fn new(overrides: &BTreeMap<String, Vec<String>>) -> (Self, Vec<String>) {
        let mut errors = Vec::new();
        let mut by_action = BTreeMap::new();
        for a in Action::ALL {
            let keys: Vec<Key> = defaults(a).iter().filter_map(|k| Key::parse(k)).collect();
            by_action.insert(a, keys);
        }
        for (name, keys) in overrides {
            let Some(a) = Action::ALL.iter().find(|a| a.name() == name) else {
                errors.push(format!("[keys] {name}: no such action"));
                continue;
            };
            let mut parsed = Vec::new();
            for k in keys {
                match Key::parse(k) {
                    Some(key) => parsed.push(key),
                    None => errors.push(format!("[keys] {name}: cannot read key \"{k}\"")),
                }
            }
            by_action.insert(*a, parsed);
        }
        // Later actions lose a key that an override gave to another action.
        let mut by_key = BTreeMap::new();
        for name in overrides.keys() {
            if let Some(a) = Action::ALL.iter().find(|a| a.name() == name) {
                for k in by_action.get(a).into_iter().flatten() {
                    by_key.insert(*k, *a);
                }
            }
        }
        for (a, keys) in &by_action {
            for k in keys {
                by_key.entry(*k).or_insert(*a);
            }
        }
        (Self { by_action, by_key }, errors)
    }

    /// The action a key event asks for.
    #[must_use]
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(ev)?;
        self.by_key.get(&key).copied()
    }

    /// The keys bound to an action, for help and hints.
    #[must_use]
    pub fn keys(&self, a: Action) -> &[Key] {
        self.by_action.get(&a).map_or(&[], Vec::as_slice)
    }

    /// The keys that do ask for `a` (a key an override gave to another
    /// action is not one of them).
    pub fn bound(&self, a: Action) -> impl Iterator<Item = &Key> {
        self.keys(a)
            .iter()
            .filter(move |k| self.by_key.get(k) == Some(&a))
    }

    /// `F1/h/?` for a hint line.
    #[must_use]
    pub fn hint(&self, a: Action) -> String {
        self.bound(a)
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn sngrep_and_vim_keys_map_by_default() {
        let k = KeyMap::default();
        assert_eq!(
            k.action(&ev(KeyCode::F(7), KeyModifiers::NONE)),
            Some(Action::FilterForm)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Action::Down)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Action::HalfPageDown)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char(' '), KeyModifiers::NONE)),
            Some(Action::Select)
        );
    }

    #[test]
    fn overrides_replace_keys_and_report_mistakes() {
        let mut o = BTreeMap::new();
        o.insert("quit".to_owned(), vec!["x".to_owned(), "ctrl-q".to_owned()]);
        o.insert("nonsense".to_owned(), vec!["y".to_owned()]);
        o.insert("down".to_owned(), vec!["toolong".to_owned()]);
        let (k, errors) = KeyMap::new(&o);
        assert_eq!(
            k.action(&ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(k.hint(Action::Help), "F1/h/?");
    }
}
