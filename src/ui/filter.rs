//! Which dialogs the call list shows: the display filter (a regex over each
//! row's text) and the filter form (F7), field by field. Every filter regex
//! compiles by one rule, `model::dialog::row_filter` (shared with `--filter`).

use regex::Regex;

use crate::hash::Map;
use crate::model::dialog::row_filter;
use crate::model::{Clock, Dialog, DialogId, DialogState, Model};

/// The filter form's fields, in the order it shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    Methods,
    From,
    To,
    Source,
    Destination,
    Payload,
    State,
}

impl FormField {
    pub const ALL: [Self; 7] = [
        Self::Methods,
        Self::From,
        Self::To,
        Self::Source,
        Self::Destination,
        Self::Payload,
        Self::State,
    ];

    /// What the form shows beside the field.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Methods => "Methods (e.g. INVITE,REGISTER)",
            Self::From => "From (regex)",
            Self::To => "To (regex)",
            Self::Source => "Source (regex)",
            Self::Destination => "Destination (regex)",
            Self::Payload => "Payload (regex)",
            Self::State => "State (regex)",
        }
    }

    /// The field's place in [`FormField::ALL`].
    #[must_use]
    pub fn index(self) -> usize {
        self as usize
    }

    /// The field below (the last wraps to the first).
    #[must_use]
    pub fn next(self) -> Self {
        Self::ALL[(self.index() + 1) % Self::ALL.len()]
    }

    /// The field above (the first wraps to the last).
    #[must_use]
    pub fn prev(self) -> Self {
        Self::ALL[(self.index() + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

/// The filter form, compiled: an empty field filters nothing.
#[derive(Debug, Clone, Default)]
pub struct CompiledForm {
    /// The first request's method is one of these (any case).
    pub methods: Vec<String>,
    pub from: Option<Regex>,
    pub to: Option<Regex>,
    /// The first request's source address.
    pub source: Option<Regex>,
    /// The first request's destination address.
    pub destination: Option<Regex>,
    /// Any message's raw text.
    pub payload: Option<Regex>,
    /// The state's name.
    pub state: Option<Regex>,
}

impl CompiledForm {
    /// Compiles the form's texts; an error names the field.
    ///
    /// # Errors
    /// The first field whose regex does not compile, with the reason.
    pub fn compile<'a>(text: impl Fn(FormField) -> &'a str) -> Result<Self, String> {
        let regex = |f: FormField| -> Result<Option<Regex>, String> {
            let t = text(f);
            if t.is_empty() {
                return Ok(None);
            }
            row_filter(t)
                .map(Some)
                .map_err(|e| format!("{}: {e}", f.label()))
        };
        Ok(Self {
            methods: text(FormField::Methods)
                .split([',', ' '])
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect(),
            from: regex(FormField::From)?,
            to: regex(FormField::To)?,
            source: regex(FormField::Source)?,
            destination: regex(FormField::Destination)?,
            payload: regex(FormField::Payload)?,
            state: regex(FormField::State)?,
        })
    }

    /// Does any field filter?
    #[must_use]
    pub fn is_active(&self) -> bool {
        !self.methods.is_empty()
            || [
                &self.from,
                &self.to,
                &self.source,
                &self.destination,
                &self.payload,
                &self.state,
            ]
            .iter()
            .any(|r| r.is_some())
    }

    /// Does the dialog pass every field? `clock` dates its state.
    #[must_use]
    pub fn matches(&self, model: &Model, d: &Dialog, clock: Clock) -> bool {
        let first = d.first_request();
        if !self.methods.is_empty() {
            let method = d.method().map(|m| m.as_str());
            if !method.is_some_and(|m| self.methods.iter().any(|x| x.eq_ignore_ascii_case(m))) {
                return false;
            }
        }
        // Each text is built only when its field is set.
        let fails = |re: &Option<Regex>, text: &dyn Fn() -> String| {
            re.as_ref().is_some_and(|re| !re.is_match(&text()))
        };
        if fails(&self.from, &|| d.from().to_owned())
            || fails(&self.to, &|| d.to().to_owned())
            || fails(&self.source, &|| {
                first.map(|m| m.src().to_string()).unwrap_or_default()
            })
            || fails(&self.destination, &|| {
                first.map(|m| m.dst().to_string()).unwrap_or_default()
            })
            || fails(&self.state, &|| d.state_at(clock).name())
        {
            return false;
        }
        if let Some(re) = &self.payload {
            return d.messages.iter().any(|m| {
                model
                    .raw(m)
                    .is_ok_and(|raw| re.is_match(&String::from_utf8_lossy(&raw)))
            });
        }
        true
    }
}

/// The display filter (`/`) and the form (F7) together: what the call list
/// applies to each dialog.
#[derive(Debug, Clone, Default)]
pub struct RowFilter {
    /// The display filter, as typed.
    text: String,
    /// Moves whenever the form is put in force.
    form_version: u64,
    regex: Option<Regex>,
    /// The regex matches some rule id of the catalogue: findings are worth
    /// looking at (a filter on `486` does not run the rules on every dialog).
    names_a_rule: bool,
    form: CompiledForm,
}

impl RowFilter {
    /// The display filter, as typed (empty: none).
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Sets the display filter; empty clears it. A bad regex changes nothing.
    ///
    /// # Errors
    /// When the text does not compile.
    pub fn set_text(&mut self, text: &str) -> Result<(), regex::Error> {
        if text.is_empty() {
            self.regex = None;
            self.names_a_rule = false;
            self.text.clear();
        } else {
            let re = row_filter(text)?;
            self.names_a_rule = crate::model::findings::catalogue::CATALOGUE
                .iter()
                .any(|r| re.is_match(r.id));
            self.regex = Some(re);
            text.clone_into(&mut self.text);
        }
        Ok(())
    }

    /// Puts a compiled form in force.
    pub fn set_form(&mut self, form: CompiledForm) {
        self.form = form;
        self.form_version += 1;
    }

    /// Moves whenever the form is put in force (the rows it passed may
    /// change even if it reads the same).
    #[must_use]
    pub fn form_version(&self) -> u64 {
        self.form_version
    }

    /// Does every dialog that passes `self` also pass `before`? True when
    /// both display filters are plain text (no regex syntax), `self`'s
    /// extends `before`'s, and the form is the same: text that contains
    /// "abc" contains "ab". A keystroke that only narrows then needs only
    /// the rows `before` passed.
    #[must_use]
    pub fn narrows(&self, before_text: &str, before_form: u64) -> bool {
        // Outside a class, only these are regex syntax ('-', '#', '&',
        // '~' and spaces are themselves).
        let literal = |t: &str| !t.contains(|c: char| "\\.+*?()|[]{}^$".contains(c));
        before_form == self.form_version
            && !before_text.is_empty()
            && self.text.len() > before_text.len()
            && self.text.starts_with(before_text)
            && literal(&self.text)
    }

    /// Is a filter from the form (F7) in force?
    #[must_use]
    pub fn form_active(&self) -> bool {
        self.form.is_active()
    }

    /// Does the dialog pass the display filter and the form? The filter
    /// also matches the rule ids of the dialog's findings (`/ack-missing`);
    /// findings are only looked at when the filter can match some rule id.
    #[must_use]
    pub fn matches(&self, model: &Model, d: &Dialog, clock: Clock) -> bool {
        self.matches_cached(model, d, clock, None)
    }

    /// As [`RowFilter::matches`], reading the dialog's text from `texts`
    /// (kept there between passes) when given.
    #[must_use]
    pub fn matches_cached(
        &self,
        model: &Model,
        d: &Dialog,
        clock: Clock,
        texts: Option<&mut FilterTexts>,
    ) -> bool {
        self.regex.as_ref().is_none_or(|re| {
            let hit = match texts {
                Some(t) => re.is_match(t.get(d, clock)),
                None => re.is_match(&d.filter_text(clock)),
            };
            hit || (self.names_a_rule
                && model
                    .findings_at(d, clock.now_ns)
                    .iter()
                    .any(|f| re.is_match(f.rule)))
        }) && self.form.matches(model, d, clock)
    }
}

/// Each dialog's [`Dialog::filter_text`], kept between passes of the
/// display filter: building it (addresses, state, status codes) costs far
/// more than matching it. An entry is made again when its dialog gained a
/// message or its state moved; entries of dialogs gone are let go.
#[derive(Debug, Default)]
pub struct FilterTexts {
    texts: Map<DialogId, (usize, DialogState, Box<str>)>,
}

impl FilterTexts {
    /// The dialog's text at `clock`.
    pub fn get(&mut self, d: &Dialog, clock: Clock) -> &str {
        let key = (d.messages.len(), d.state_at(clock));
        let e = self
            .texts
            .entry(d.id)
            .or_insert_with(|| (usize::MAX, DialogState::Pending, Box::from("")));
        if (e.0, e.1) != key {
            *e = (key.0, key.1, d.filter_text(clock).into_boxed_str());
        }
        &e.2
    }

    /// Lets go of the texts of dialogs no longer in the model, once they
    /// outnumber the model's.
    pub fn prune(&mut self, model: &Model) {
        if self.texts.len() > 2 * model.len() + 1024 {
            self.texts.retain(|id, _| model.dialog(*id).is_some());
        }
    }

    /// Forgets everything (the model was cleared).
    pub fn clear(&mut self) {
        self.texts = Map::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_name_their_regex_errors() {
        let texts = |f: FormField| match f {
            FormField::Methods => "INVITE, bye",
            FormField::To => "(",
            _ => "",
        };
        let e = CompiledForm::compile(texts).unwrap_err();
        assert!(e.starts_with("To (regex): "), "{e}");
        let ok = CompiledForm::compile(|f| {
            if f == FormField::Methods {
                "INVITE,bye"
            } else {
                ""
            }
        })
        .unwrap();
        assert_eq!(ok.methods, ["INVITE", "bye"]);
        assert!(ok.is_active());
        assert!(!CompiledForm::default().is_active());
    }

    #[test]
    fn form_fields_wrap_around() {
        assert_eq!(FormField::State.next(), FormField::Methods);
        assert_eq!(FormField::Methods.prev(), FormField::State);
        assert_eq!(
            FormField::ALL[FormField::Payload.index()],
            FormField::Payload
        );
    }

    #[test]
    fn only_a_longer_plain_text_filter_narrows() {
        let mut f = RowFilter::default();
        f.set_text("call-12").unwrap();
        assert!(f.narrows("call-1", 0));
        assert!(!f.narrows("", 0), "nothing filtered before");
        assert!(!f.narrows("call-13", 0));
        assert!(!f.narrows("call-12", 0), "the same filter");
        f.set_form(CompiledForm::default());
        assert!(!f.narrows("call-1", 0), "the form changed");
        f.set_text("call|x").unwrap();
        assert!(!f.narrows("call", f.form_version()), "a regex may widen");
        f.set_text("a.b").unwrap();
        assert!(!f.narrows("a", f.form_version()));
    }

    #[test]
    fn filters_are_case_insensitive_and_bounded() {
        assert!(row_filter("invite").unwrap().is_match("INVITE"));
        assert!(row_filter("a{1000}{1000}").is_err());
    }
}
