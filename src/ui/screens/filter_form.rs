//! The filter form's state (F7, over the call list): the text of each field
//! and the focus. Enter compiles it; the app puts it in force. The view is
//! `ui/views/forms.rs`.

use crate::ui::filter::{CompiledForm, FormField};
use crate::ui::input::TextKey;

#[derive(Debug, Clone)]
pub struct FilterFormState {
    values: [String; FormField::ALL.len()],
    pub focus: FormField,
}

impl Default for FilterFormState {
    fn default() -> Self {
        Self {
            values: Default::default(),
            focus: FormField::Methods,
        }
    }
}

/// What a key in the form asks for.
#[derive(Debug, Clone)]
pub enum FormStep {
    /// Still typing.
    Editing,
    /// Esc: close, the filter in force unchanged.
    Cancel,
    /// Enter: put this in force and close.
    Apply(CompiledForm),
    /// Enter on a field that does not compile: why.
    Invalid(String),
}

impl FilterFormState {
    /// The text typed into a field.
    #[must_use]
    pub fn value(&self, f: FormField) -> &str {
        self.values.get(f.index()).map_or("", String::as_str)
    }

    fn focused(&mut self) -> Option<&mut String> {
        self.values.get_mut(self.focus.index())
    }

    /// A key typed into the focused field.
    pub fn key(&mut self, key: TextKey) -> FormStep {
        match key {
            TextKey::Char(c) => {
                if let Some(f) = self.focused() {
                    f.push(c);
                }
            }
            TextKey::Backspace => {
                if let Some(f) = self.focused() {
                    f.pop();
                }
            }
            TextKey::ClearLine => {
                if let Some(f) = self.focused() {
                    f.clear();
                }
            }
            TextKey::Tab | TextKey::Down => self.focus = self.focus.next(),
            TextKey::Up => self.focus = self.focus.prev(),
            TextKey::Left | TextKey::Right | TextKey::Home | TextKey::End | TextKey::DeleteWord => {
            }
            TextKey::Cancel => return FormStep::Cancel,
            TextKey::Enter => {
                return match CompiledForm::compile(|f| self.value(f)) {
                    Ok(c) => FormStep::Apply(c),
                    Err(e) => FormStep::Invalid(e),
                };
            }
        }
        FormStep::Editing
    }
}
