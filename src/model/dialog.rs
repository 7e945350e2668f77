//! A dialog (everything sharing one Call-ID), its state machine and timings.

use serde::Serialize;

/// Compiles a filter over [`Dialog::filter_text`] (`/` in the UI,
/// `--filter` on the command line, the filter form's fields): a
/// case-insensitive regex, bounded in size, as typed by anyone.
///
/// # Errors
/// When the text is not a regex, or compiles too large.
pub fn row_filter(text: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(text)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
}

use super::message::{Kind, Message, Method};

/// What a dialog is for, from the method that opened it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DialogKind {
    Call,
    Registration,
    Options,
    Subscription,
    Message,
    Publish,
    Info,
    Refer,
    Other,
}

impl DialogKind {
    fn of(m: Method) -> Self {
        match m {
            Method::Invite
            | Method::Ack
            | Method::Bye
            | Method::Cancel
            | Method::Prack
            | Method::Update => Self::Call,
            Method::Register => Self::Registration,
            Method::Options => Self::Options,
            Method::Subscribe | Method::Notify => Self::Subscription,
            Method::Message => Self::Message,
            Method::Publish => Self::Publish,
            Method::Info => Self::Info,
            Method::Refer => Self::Refer,
            Method::Other(_) => Self::Other,
        }
    }

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Registration => "registration",
            Self::Options => "options",
            Self::Subscription => "subscription",
            Self::Message => "message",
            Self::Publish => "publish",
            Self::Info => "info",
            Self::Refer => "refer",
            Self::Other => "other",
        }
    }
}

/// Where a dialog stands. Calls use the first group, registrations the
/// second, and other dialogs `Pending`, `Completed`, `Rejected` or `Failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    // Calls
    Setup,
    Ringing,
    EarlyMedia,
    InCall,
    Completed,
    Cancelled,
    Busy,
    Rejected(u16),
    /// No final response in time, or 408.
    Failed,
    Diverted(u16),
    // Registrations
    Registered,
    Unregistered,
    Challenged,
    AuthFailed,
    // Other transactions
    Pending,
}

impl DialogState {
    /// The name reports and the UI show.
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::Setup => "setup".into(),
            Self::Ringing => "ringing".into(),
            Self::EarlyMedia => "early media".into(),
            Self::InCall => "in call".into(),
            Self::Completed => "completed".into(),
            Self::Cancelled => "cancelled".into(),
            Self::Busy => "busy".into(),
            Self::Rejected(c) => format!("rejected {c}"),
            Self::Failed => "failed".into(),
            Self::Diverted(c) => format!("diverted {c}"),
            Self::Registered => "registered".into(),
            Self::Unregistered => "unregistered".into(),
            Self::Challenged => "challenged".into(),
            Self::AuthFailed => "auth failed".into(),
            Self::Pending => "pending".into(),
        }
    }

    /// The call list's sort order for states: the order of their names
    /// (`auth failed` < `busy` < ... < `unregistered`), codes in numeric
    /// order, without building the names.
    #[must_use]
    pub fn sort_rank(self) -> (u8, u16) {
        match self {
            Self::AuthFailed => (0, 0),
            Self::Busy => (1, 0),
            Self::Cancelled => (2, 0),
            Self::Challenged => (3, 0),
            Self::Completed => (4, 0),
            Self::Diverted(c) => (5, c),
            Self::EarlyMedia => (6, 0),
            Self::Failed => (7, 0),
            Self::InCall => (8, 0),
            Self::Pending => (9, 0),
            Self::Registered => (10, 0),
            Self::Rejected(c) => (11, c),
            Self::Ringing => (12, 0),
            Self::Setup => (13, 0),
            Self::Unregistered => (14, 0),
        }
    }

    /// Finished dialogs are evicted first when memory runs short.
    #[must_use]
    pub fn is_finished(self) -> bool {
        !matches!(
            self,
            Self::Setup
                | Self::Ringing
                | Self::EarlyMedia
                | Self::InCall
                | Self::Pending
                | Self::Challenged
        )
    }

    /// Still waiting for a final response (and so may time out).
    fn is_waiting(self) -> bool {
        matches!(
            self,
            Self::Setup | Self::Ringing | Self::EarlyMedia | Self::Pending | Self::Challenged
        )
    }
}

/// Timer B / F of RFC 3261 (64 × T1): a transaction with no final response
/// by then has failed.
pub const TRANSACTION_TIMEOUT_NS: i64 = 32_000_000_000;

/// Stable identity of a dialog in the model (arrival order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DialogId(pub u64);

/// Every message sharing one Call-ID.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub id: DialogId,
    pub call_id: String,
    pub kind: DialogKind,
    pub from: String,
    pub to: String,
    pub user_agent: Option<String>,
    /// Call-IDs this dialog names in X-Call-ID / X-CID.
    pub x_call_ids: Vec<String>,
    pub messages: Vec<Message>,
    state: DialogState,
    /// Transaction keys seen, for retransmission detection.
    seen: Vec<u64>,
    first_invite_ns: Option<i64>,
    first_18x_ns: Option<i64>,
    answer_ns: Option<i64>,
    ack_ns: Option<i64>,
    bye_ns: Option<i64>,
    cancelled: bool,
    /// Messages not kept because the dialog hit its limit.
    pub dropped_messages: u64,
    /// What the kept messages hold on the heap ([`Message::heap_bytes`]).
    pub(crate) messages_heap: usize,
}

impl Dialog {
    pub(crate) fn new(id: DialogId, call_id: String, first: &Message) -> Self {
        let kind = match first.kind {
            Kind::Request(m) => DialogKind::of(m),
            Kind::Response(_) => first
                .cseq
                .map_or(DialogKind::Other, |(_, m)| DialogKind::of(m)),
        };
        let state = match kind {
            DialogKind::Call => DialogState::Setup,
            _ => DialogState::Pending,
        };
        Self {
            id,
            call_id,
            kind,
            from: String::new(),
            to: String::new(),
            user_agent: None,
            x_call_ids: Vec::new(),
            // Room for a typical dialog of its kind, so millions of dialogs do
            // not each carry a half-empty doubled buffer.
            messages: Vec::with_capacity(match kind {
                DialogKind::Call => 7,         // INVITE 100 180 200 ACK BYE 200
                DialogKind::Registration => 4, // REGISTER 401 REGISTER 200
                _ => 2,
            }),
            state,
            seen: Vec::new(),
            first_invite_ns: None,
            first_18x_ns: None,
            answer_ns: None,
            ack_ns: None,
            bye_ns: None,
            cancelled: false,
            dropped_messages: 0,
            messages_heap: 0,
        }
    }

    /// Everything this dialog holds, by estimate (docs/ARCHITECTURE.md,
    /// "Memory"): its struct and table slot, its strings (the Call-ID also
    /// as the call table's key), the messages' vector by capacity and what
    /// each message holds, the transaction keys.
    #[must_use]
    pub fn held_bytes(&self) -> usize {
        const OVERHEAD: usize = super::ALLOC_OVERHEAD;
        let string = |s: &String| {
            if s.capacity() == 0 {
                0
            } else {
                s.capacity() + OVERHEAD
            }
        };
        std::mem::size_of::<Self>()
            + OVERHEAD
            + super::MAP_ENTRY
            + 2 * string(&self.call_id)
            + string(&self.from)
            + string(&self.to)
            + self.user_agent.as_ref().map_or(0, string)
            + self
                .x_call_ids
                .iter()
                .map(|x| 2 * string(x) + super::MAP_ENTRY)
                .sum::<usize>()
            + self.messages.capacity() * std::mem::size_of::<Message>()
            + OVERHEAD
            + self.seen.capacity() * 8
            + self.messages_heap
    }

    /// The message a dialog is known by (its method, source and
    /// destination): the first request, else (a capture that began with a
    /// response) the first message.
    #[must_use]
    pub fn first_request(&self) -> Option<&Message> {
        self.messages
            .iter()
            .find(|m| m.method().is_some())
            .or(self.messages.first())
    }

    /// The text a display filter (`/`, `--filter`) matches: what the call
    /// list's row shows, the Call-ID and every status code.
    #[must_use]
    pub fn filter_text(&self, now_ns: i64) -> String {
        let first = self.first_request();
        format!(
            "{} {} {} {} {} {} {} {}",
            first.map(Message::label).unwrap_or_default(),
            self.from,
            self.to,
            first.map(|m| m.src.to_string()).unwrap_or_default(),
            first.map(|m| m.dst.to_string()).unwrap_or_default(),
            self.state_at(now_ns).name(),
            self.call_id,
            self.messages
                .iter()
                .filter_map(Message::status)
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(" "),
        )
    }

    /// The state at capture time `now_ns`: a dialog still waiting for a final
    /// response past the transaction timeout has failed.
    #[must_use]
    pub fn state_at(&self, now_ns: i64) -> DialogState {
        if self.state.is_waiting() && now_ns - self.last_ts() > TRANSACTION_TIMEOUT_NS {
            return match self.state {
                DialogState::Challenged => DialogState::AuthFailed,
                _ => DialogState::Failed,
            };
        }
        self.state
    }

    /// The state as the messages alone say (no timeout applied).
    #[must_use]
    pub fn state(&self) -> DialogState {
        self.state
    }

    #[must_use]
    pub fn first_ts(&self) -> i64 {
        self.messages.first().map_or(0, |m| m.ts_ns)
    }

    #[must_use]
    pub fn last_ts(&self) -> i64 {
        self.messages.last().map_or(0, |m| m.ts_ns)
    }

    /// Post-dial delay: first INVITE to first 18x.
    #[must_use]
    pub fn pdd_ns(&self) -> Option<i64> {
        Some(self.first_18x_ns? - self.first_invite_ns?)
    }

    /// First INVITE to the 2xx that answered it.
    #[must_use]
    pub fn answer_ns(&self) -> Option<i64> {
        Some(self.answer_ns? - self.first_invite_ns?)
    }

    /// ACK (or the answer, when no ACK was seen) to BYE.
    #[must_use]
    pub fn talk_ns(&self) -> Option<i64> {
        let start = self.ack_ns.or(self.answer_ns)?;
        Some(self.bye_ns? - start)
    }

    #[must_use]
    pub fn total_ns(&self) -> i64 {
        self.last_ts() - self.first_ts()
    }

    /// How long the dialog has lasted at capture time `now_ns`: to its last
    /// message once it is over, to `now_ns` while it goes on (a call in
    /// progress ticks, as in sngrep).
    #[must_use]
    pub fn duration_at(&self, now_ns: i64) -> i64 {
        if self.state_at(now_ns).is_finished() {
            self.total_ns()
        } else {
            now_ns.max(self.last_ts()) - self.first_ts()
        }
    }

    /// Is the dialog over at capture time `now_ns`, so that nothing more is
    /// expected of it (what the NDJSON report writes a line at)? It is
    /// finished ([`DialogState::is_finished`], timeouts included) and the
    /// transaction that finished it is complete:
    ///
    /// - a call: its BYE answered (any final response to a BYE), or its
    ///   failure (486, 487, 3xx, 408...) acknowledged by an ACK after it; a
    ///   401/407 waits for the INVITE that answers the challenge;
    /// - a registration and any other dialog: its final response;
    /// - or, whatever is missing, 32 s of capture time (Timer B, F and H)
    ///   without a message.
    ///
    /// A dialog that gets messages after it ended (a registration refreshed
    /// on the same Call-ID, a retransmission) can end again.
    #[must_use]
    pub fn ended_at(&self, now_ns: i64) -> bool {
        let state = self.state_at(now_ns);
        if !state.is_finished() {
            return false;
        }
        if now_ns - self.last_ts() >= TRANSACTION_TIMEOUT_NS {
            return true;
        }
        if self.kind != DialogKind::Call {
            return true;
        }
        let final_to = |m: &Message, method: Method, codes: std::ops::Range<u16>| {
            m.status().is_some_and(|c| codes.contains(&c))
                && m.cseq.map(|(_, meth)| meth) == Some(method)
        };
        match state {
            DialogState::Completed => self
                .messages
                .iter()
                .any(|m| final_to(m, Method::Bye, 200..700)),
            DialogState::Rejected(401 | 407) => false,
            _ => self
                .messages
                .iter()
                .rposition(|m| final_to(m, Method::Invite, 300..700))
                .is_some_and(|at| {
                    self.messages
                        .iter()
                        .skip(at)
                        .any(|m| m.method() == Some(Method::Ack))
                }),
        }
    }

    /// Records whether `m` retransmits a message already seen, keyed by
    /// direction, top Via branch, CSeq and status.
    pub(crate) fn mark_retransmission(&mut self, m: &mut Message, key: u64) {
        if self.seen.contains(&key) {
            m.retransmission = true;
        } else {
            self.seen.push(key);
        }
    }

    /// Advances the state machine with a new message (retransmissions are
    /// listed but change nothing).
    pub(crate) fn advance(&mut self, m: &Message, expires_zero: bool) {
        if m.retransmission {
            return;
        }
        let cseq_method = m.cseq.map(|(_, meth)| meth);
        match (m.kind, self.kind) {
            (Kind::Request(meth), DialogKind::Call) => self.call_request(meth, m.ts_ns),
            (Kind::Response(code), DialogKind::Call) => {
                if cseq_method == Some(Method::Invite) {
                    self.invite_response(code, m);
                }
            }
            (Kind::Response(code), DialogKind::Registration) => {
                if cseq_method == Some(Method::Register) {
                    self.register_response(code, expires_zero);
                }
            }
            (Kind::Response(code), _) => {
                // The dialog's own transaction decides (a NOTIFY's 200 too).
                if code >= 200 {
                    self.state = if code < 300 {
                        DialogState::Completed
                    } else if code == 408 {
                        DialogState::Failed
                    } else {
                        DialogState::Rejected(code)
                    };
                }
            }
            (Kind::Request(_), _) => {}
        }
    }

    fn call_request(&mut self, meth: Method, ts: i64) {
        match meth {
            Method::Invite => {
                if self.first_invite_ns.is_none() {
                    self.first_invite_ns = Some(ts);
                }
                // A new INVITE after a challenge (or a failure) starts over.
                if matches!(self.state, DialogState::Rejected(401 | 407)) {
                    self.state = DialogState::Setup;
                }
            }
            Method::Ack if self.state == DialogState::InCall && self.ack_ns.is_none() => {
                self.ack_ns = Some(ts);
            }
            Method::Cancel
                if !matches!(self.state, DialogState::InCall | DialogState::Completed) =>
            {
                self.cancelled = true;
                self.state = DialogState::Cancelled;
            }
            Method::Bye => {
                if self.bye_ns.is_none() {
                    self.bye_ns = Some(ts);
                }
                self.state = DialogState::Completed;
            }
            _ => {}
        }
    }

    fn invite_response(&mut self, code: u16, m: &Message) {
        let established = matches!(self.state, DialogState::InCall | DialogState::Completed);
        match code {
            100..=199 => {
                if (180..200).contains(&code) && self.first_18x_ns.is_none() {
                    self.first_18x_ns = Some(m.ts_ns);
                }
                if established || self.cancelled {
                    return;
                }
                if code == 183 || (code > 100 && m.has_sdp) {
                    self.state = DialogState::EarlyMedia;
                } else if code >= 180 && self.state != DialogState::EarlyMedia {
                    self.state = DialogState::Ringing;
                }
            }
            200..=299 => {
                if self.answer_ns.is_none() {
                    self.answer_ns = Some(m.ts_ns);
                }
                if !established {
                    self.state = DialogState::InCall;
                }
            }
            _ if established => {} // a failed re-INVITE leaves the call up
            300..=399 => self.state = DialogState::Diverted(code),
            487 if self.cancelled => self.state = DialogState::Cancelled,
            486 | 600 => self.state = DialogState::Busy,
            408 => self.state = DialogState::Failed,
            _ => {
                if !self.cancelled {
                    self.state = DialogState::Rejected(code);
                }
            }
        }
    }

    fn register_response(&mut self, code: u16, expires_zero: bool) {
        self.state = match code {
            100..=199 => return,
            200..=299 if expires_zero => DialogState::Unregistered,
            200..=299 => DialogState::Registered,
            401 | 407 if self.state == DialogState::Challenged => DialogState::AuthFailed,
            401 | 407 => DialogState::Challenged,
            403 => DialogState::AuthFailed,
            408 => DialogState::Failed,
            _ => DialogState::Rejected(code),
        };
    }
}
