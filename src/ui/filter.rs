//! Which dialogs the call list shows: the display filter (a regex over each
//! row's text) and the filter form (F7), field by field. Every filter regex
//! compiles by one rule, `model::dialog::row_filter` (shared with `--filter`).
//! The call list applies the display filter through the texts kept in
//! `ui/filter_index.rs`; [`RowFilter::matches`] is the rule itself.

use memchr::memmem::Finder;
use regex::Regex;
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Literal, Repetition,
};

use crate::model::dialog::row_filter;
use crate::model::{Clock, Dialog, Model};
use crate::ui::filter_index::{Needle, Query};

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
    /// The display filter as plain ASCII text, lowercased, when it is one.
    plain: Option<Finder<'static>>,
    /// The same regex in multi-line mode (`^` and `$` at each line's ends),
    /// when it means the same on lowercased text and holds no `\A` or
    /// `\z`: run over a whole chunk of texts at once (see [`Needle::Regex`]),
    /// made for texts without capitals (see [`lowercase_lines`]).
    lines: Option<Regex>,
    /// The rule ids of the catalogue the regex matches (bit = place; see
    /// [`Query::rule_bits`]): findings are worth looking at only when some
    /// (a filter on `call-1` does not run the rules on every dialog).
    rules: u64,
    form: CompiledForm,
}

/// Is the text plain (no regex syntax: it matches itself, in any case)?
/// Outside a class, only these are regex syntax ('-', '#', '&', '~' and
/// spaces are themselves).
fn is_plain(t: &str) -> bool {
    !t.contains(|c: char| "\\.+*?()|[]{}^$".contains(c))
}

/// Does the (case-insensitive) regex match an ASCII-lowercased text exactly
/// when it matches the text? Yes, unless inline flags (`(?-i)`) or classes
/// named by property are in it; those are matched on the text as it is.
fn same_on_lowercase(t: &str) -> bool {
    !["(?", "\\p", "\\P", "[:"].iter().any(|s| t.contains(s))
}

/// The filter `text` in multi-line mode (`^` and `$` at each line's ends)
/// for texts that hold no ASCII capital (the index's, lowercased): the
/// case-insensitive regex with the capitals taken out of its classes
/// (`c` is read as `[Cc]`, and becomes `c` again; `[Ssſ]`, `[sſ]`). On such
/// texts it matches where the regex does; its literals, no longer one per
/// case, are few enough for the regex's own prefilter (`call-4242[0-9]@`
/// is searched for `call-4242`, not in each of 256 spellings, none of
/// which it then finds: every byte read). None if it does not compile;
/// then the same regex in multi-line mode, as typed.
fn lowercase_lines(text: &str) -> Option<Regex> {
    let lowered = regex_syntax::ParserBuilder::new()
        .case_insensitive(true)
        .multi_line(true)
        .build()
        .parse(text)
        .ok()
        .map(without_capitals)
        .and_then(|hir| {
            regex::RegexBuilder::new(&hir.to_string())
                .size_limit(1 << 20)
                .build()
                .ok()
        });
    lowered.or_else(|| row_filter(&format!("(?m:{text})")).ok())
}

/// `hir` with the ASCII capitals taken out of every class, and a literal
/// holding one made a class that matches nothing: the same matches on a
/// text without capitals.
fn without_capitals(hir: Hir) -> Hir {
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(mut c)) => {
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('A', 'Z')]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(mut c)) => {
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'A', b'Z')]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Literal(Literal(bytes)) => {
            if bytes.iter().any(u8::is_ascii_uppercase) {
                Hir::fail()
            } else {
                Hir::literal(bytes)
            }
        }
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(without_capitals(*r.sub)),
            ..r
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(without_capitals(*c.sub)),
            ..c
        }),
        HirKind::Concat(subs) => Hir::concat(subs.into_iter().map(without_capitals).collect()),
        HirKind::Alternation(subs) => {
            Hir::alternation(subs.into_iter().map(without_capitals).collect())
        }
        HirKind::Look(look) => Hir::look(look),
        HirKind::Empty => Hir::empty(),
    }
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
            self.plain = None;
            self.lines = None;
            self.rules = 0;
            self.text.clear();
        } else {
            let re = row_filter(text)?;
            self.rules = Query::rule_bits(&re);
            self.regex = Some(re);
            self.plain = (is_plain(text) && text.is_ascii() && !text.contains('\n'))
                .then(|| Finder::new(text.to_ascii_lowercase().as_bytes()).into_owned());
            // Compiles as the filter did, wrapped in a group with the flag
            // (a text that compiles alone compiles wrapped; if not, none).
            self.lines = (self.plain.is_none()
                && same_on_lowercase(text)
                && !text.contains("\\A")
                && !text.contains("\\z"))
            .then(|| lowercase_lines(text))
            .flatten();
            text.clone_into(&mut self.text);
        }
        Ok(())
    }

    /// The display filter as the call list's index applies it (none when
    /// there is no display filter).
    #[must_use]
    pub fn query(&self, only_calls: bool) -> Option<Query<'_>> {
        let re = self.regex.as_ref()?;
        let needle = match &self.plain {
            Some(finder) => Needle::Plain { finder, re },
            None if same_on_lowercase(&self.text) => Needle::Regex {
                re,
                lines: self.lines.as_ref(),
            },
            None => Needle::Original(re),
        };
        Some(Query {
            needle,
            re,
            rules: self.rules,
            only_calls,
            masks: None,
            rules_later: false,
        })
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
        before_form == self.form_version
            && !before_text.is_empty()
            && self.text.len() > before_text.len()
            && self.text.starts_with(before_text)
            && is_plain(&self.text)
    }

    /// Is a filter from the form (F7) in force?
    #[must_use]
    pub fn form_active(&self) -> bool {
        self.form.is_active()
    }

    /// Does the dialog pass the form (F7)?
    #[must_use]
    pub fn form_matches(&self, model: &Model, d: &Dialog, clock: Clock) -> bool {
        self.form.matches(model, d, clock)
    }

    /// Does the dialog pass the display filter and the form? The filter
    /// also matches the rule ids of the dialog's findings (`/ack-missing`);
    /// findings are only looked at when the filter can match some rule id.
    /// This is the rule; the call list gets the same answer faster from
    /// its index (`ui/filter_index.rs`).
    #[must_use]
    pub fn matches(&self, model: &Model, d: &Dialog, clock: Clock) -> bool {
        self.regex.as_ref().is_none_or(|re| {
            re.is_match(&d.filter_text(clock))
                || (self.rules != 0
                    && model
                        .findings_at(d, clock.now_ns)
                        .iter()
                        .any(|f| re.is_match(f.rule)))
        }) && self.form.matches(model, d, clock)
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
    fn a_regex_for_lowercased_texts_keeps_its_literals_in_lower_case_only() {
        let re = lowercase_lines("CALL-1[0-9]@|Smith$").unwrap();
        let pattern = re.as_str();
        assert!(
            !pattern.contains(|c: char| c.is_ascii_uppercase()),
            "{pattern}"
        );
        assert!(pattern.contains("call"), "{pattern}");
        // The long s still matches an s; the capitals no longer do.
        assert!(re.is_match("x call-17@h\nbob \u{17f}mith"));
        assert!(re.is_match("bob smith\nz"));
        assert!(!re.is_match("CALL-17@h"));
        // A literal with a capital (no case folding) can match no lowercased
        // text.
        assert!(!lowercase_lines("(?-i:A)").unwrap().is_match("a"));
        assert!(lowercase_lines("(?-i:a)").unwrap().is_match("a"));
    }

    #[test]
    fn filters_are_case_insensitive_and_bounded() {
        assert!(row_filter("invite").unwrap().is_match("INVITE"));
        assert!(row_filter("a{1000}{1000}").is_err());
    }
}
