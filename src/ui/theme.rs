//! Colours and styles, in one place.

use ratatui::style::{Color, Modifier, Style};

use crate::model::DialogState;

#[must_use]
pub fn header() -> Style {
    Style::new().fg(Color::Black).bg(Color::Cyan)
}

#[must_use]
pub fn title() -> Style {
    Style::new().add_modifier(Modifier::BOLD)
}

#[must_use]
pub fn column_header() -> Style {
    Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
}

#[must_use]
pub fn cursor() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

#[must_use]
pub fn selected() -> Style {
    Style::new()
        .fg(Color::LightYellow)
        .add_modifier(Modifier::BOLD)
}

#[must_use]
pub fn warning() -> Style {
    Style::new()
        .fg(Color::LightRed)
        .add_modifier(Modifier::BOLD)
}

/// A finding, by severity: errors red, warnings yellow, info dim.
#[must_use]
pub fn severity(s: crate::model::findings::Severity) -> Style {
    use crate::model::findings::Severity;
    match s {
        Severity::Error => warning(),
        Severity::Warning => Style::new().fg(Color::Yellow),
        Severity::Info => dim(),
    }
}

#[must_use]
pub fn dim() -> Style {
    Style::new().fg(Color::DarkGray)
}

/// A dialog state, coloured by outcome.
#[must_use]
pub fn state(s: DialogState) -> Style {
    let c = match s {
        DialogState::Setup
        | DialogState::Pending
        | DialogState::MidDialog
        | DialogState::ResponseOnly
        | DialogState::Unknown => Color::Gray,
        DialogState::Ringing | DialogState::EarlyMedia | DialogState::Challenged => Color::Yellow,
        DialogState::InCall => Color::LightBlue,
        DialogState::Completed | DialogState::Registered | DialogState::Unregistered => {
            Color::Green
        }
        DialogState::Cancelled(_) | DialogState::Diverted(_) => Color::Magenta,
        DialogState::Busy
        | DialogState::Rejected(_)
        | DialogState::Failed
        | DialogState::AuthFailed => Color::LightRed,
    };
    Style::new().fg(c)
}

/// A response by class; requests get `request()`.
#[must_use]
pub fn status(code: u16) -> Style {
    let c = match code {
        100..=199 => Color::Yellow,
        200..=299 => Color::Green,
        300..=399 => Color::Cyan,
        _ => Color::LightRed,
    };
    Style::new().fg(c)
}

#[must_use]
pub fn request() -> Style {
    Style::new().fg(Color::White).add_modifier(Modifier::BOLD)
}

/// The n-th of a set of distinguishable colours (Call-IDs, transactions).
#[must_use]
pub fn palette(n: usize) -> Style {
    const COLOURS: [Color; 6] = [
        Color::LightCyan,
        Color::LightMagenta,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightRed,
    ];
    Style::new().fg(COLOURS[n % COLOURS.len()])
}

#[must_use]
pub fn sip_header_name() -> Style {
    Style::new().fg(Color::Cyan)
}

#[must_use]
pub fn sdp_line() -> Style {
    Style::new().fg(Color::Green)
}

/// What a hop rewrote, and other vantage points, in the message pane.
#[must_use]
pub fn hop() -> Style {
    Style::new().fg(Color::Cyan)
}
