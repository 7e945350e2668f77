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
/// second, and other dialogs `Pending`, `Completed`, `Rejected` or `Failed`;
/// any dialog may be `Unknown` once the capture ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    // Calls
    Setup,
    Ringing,
    EarlyMedia,
    InCall,
    Completed,
    /// A CANCEL before any final response; the final response that followed,
    /// when it was not the usual 487 (a 408 after unanswered CANCELs).
    Cancelled(Option<u16>),
    Busy,
    Rejected(u16),
    /// An INVITE that no response ever answered for 32 s (Timer B), a
    /// request that no final response answered in time (Timer F), or 408.
    Failed,
    Diverted(u16),
    /// Captured from the middle: the first message was an in-dialog request
    /// (UPDATE, ACK, PRACK, INFO...), not the INVITE.
    MidDialog,
    /// Captured from the middle: only responses were seen.
    ResponseOnly,
    /// Still waiting for a final response when the capture ended: how the
    /// call ended is not in the capture.
    Unknown,
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
            Self::Cancelled(None) => "cancelled".into(),
            Self::Cancelled(Some(c)) => format!("cancelled {c}"),
            Self::Busy => "busy".into(),
            Self::Rejected(c) => format!("rejected {c}"),
            Self::Failed => "failed".into(),
            Self::Diverted(c) => format!("diverted {c}"),
            Self::MidDialog => "mid-dialog".into(),
            Self::ResponseOnly => "response only".into(),
            Self::Unknown => "unknown".into(),
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
            Self::Cancelled(c) => (2, c.unwrap_or(0)),
            Self::Challenged => (3, 0),
            Self::Completed => (4, 0),
            Self::Diverted(c) => (5, c),
            Self::EarlyMedia => (6, 0),
            Self::Failed => (7, 0),
            Self::InCall => (8, 0),
            Self::MidDialog => (9, 0),
            Self::Pending => (10, 0),
            Self::Registered => (11, 0),
            Self::Rejected(c) => (12, c),
            Self::ResponseOnly => (13, 0),
            Self::Ringing => (14, 0),
            Self::Setup => (15, 0),
            Self::Unknown => (16, 0),
            Self::Unregistered => (17, 0),
        }
    }

    /// Finished dialogs are evicted first when memory runs short, and their
    /// duration no longer ticks.
    #[must_use]
    pub fn is_finished(self) -> bool {
        !matches!(
            self,
            Self::Setup
                | Self::Ringing
                | Self::EarlyMedia
                | Self::InCall
                | Self::MidDialog
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

/// When states and durations are read: capture time now (live, the wall
/// clock may run ahead of it), and whether the capture has ended (the end
/// of the files, or a live capture stopped), so nothing more will come.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Clock {
    pub now_ns: i64,
    pub ended: bool,
}

/// A capture time that may not have happened yet, in 8 bytes (an
/// `Option<i64>` takes 16; a dialog has six).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct At(i64);

impl At {
    const NONE: Self = Self(i64::MIN);

    fn get(self) -> Option<i64> {
        (self != Self::NONE).then_some(self.0)
    }

    fn is_none(self) -> bool {
        self == Self::NONE
    }

    fn set(&mut self, ts_ns: i64) {
        // The one instant that cannot be told from none.
        self.0 = ts_ns.max(i64::MIN + 1);
    }
}

/// The part of a dialog few dialogs need, behind one pointer.
#[derive(Debug, Clone, Default)]
struct Rare {
    /// Call-IDs this dialog names in X-Call-ID / X-CID.
    x_call_ids: Vec<String>,
    /// Transaction keys of messages not kept (the dialog hit its limit),
    /// for retransmission detection; the kept ones hold their own.
    seen: Vec<u64>,
}

/// A dialog's newest messages that `Model::warm` reads ahead.
const WARM_MESSAGES: usize = 8;

/// Stable identity of a dialog in the model (arrival order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct DialogId(pub u64);

/// Every message sharing one Call-ID.
#[derive(Debug, Clone)]
pub struct Dialog {
    pub id: DialogId,
    /// Call-ID, From and To as written, in one allocation: From starts at
    /// `from_at`, To at `to_at` ([`Dialog::call_id`], [`Dialog::from`],
    /// [`Dialog::to`]).
    names: Box<str>,
    from_at: u32,
    to_at: u32,
    pub kind: DialogKind,
    /// Shared with every dialog of the same agent (interned by the model,
    /// a bounded number of them: [`Dialog::user_agent_shared`]).
    pub user_agent: Option<std::sync::Arc<str>>,
    /// The User-Agent is the model's interned one, counted there once.
    pub(crate) user_agent_shared: bool,
    /// The Call-ID is also a key of the model's table of Call-IDs that are
    /// not valid UTF-8 or collide in the hashed table (rare).
    pub(crate) call_id_spilled: bool,
    /// What few dialogs need: X-Call-IDs, keys of messages not kept.
    rare: Option<Box<Rare>>,
    pub messages: Vec<Message>,
    state: DialogState,
    first_invite_ns: At,
    first_18x_ns: At,
    answer_ns: At,
    ack_ns: At,
    bye_ns: At,
    cancelled: bool,
    /// When the INVITE that Timer B runs for was first sent (the first, or
    /// the one after a challenge), and whether any response answered it
    /// (then Timer B no longer runs).
    invite_sent_ns: At,
    invite_answered: bool,
    /// One bit per transaction key seen in this dialog (32 bits, in what
    /// was padding): a message whose bit is clear retransmits nothing, known
    /// without reading the messages.
    keys_seen: u32,
    /// A kept message carries SDP (known without reading them).
    kept_sdp: bool,
    /// Messages not kept because the dialog hit its limit.
    pub dropped_messages: u64,
    /// What the kept messages hold on the heap ([`Message::heap_bytes`]).
    pub(crate) messages_heap: usize,
}

impl Dialog {
    /// A new dialog whose first message is `first`; `in_dialog`: a request
    /// with a To tag (the dialog began before the capture). `names` holds
    /// the Call-ID, From from byte `from_at`, To from byte `to_at`.
    pub(crate) fn new(
        id: DialogId,
        names: String,
        (from_at, to_at): (usize, usize),
        first: &Message,
        in_dialog: bool,
    ) -> Self {
        let kind = match first.kind {
            Kind::Request(m) => DialogKind::of(m),
            Kind::Response(_) => first
                .cseq
                .map_or(DialogKind::Other, |(_, m)| DialogKind::of(m)),
        };
        // A call captured from its INVITE is set up; one picked up in the
        // middle says so instead of pretending to wait for an answer.
        let state = match (kind, first.kind) {
            (DialogKind::Call, Kind::Request(Method::Invite)) if !in_dialog => DialogState::Setup,
            (DialogKind::Call, Kind::Request(_)) => DialogState::MidDialog,
            (DialogKind::Call, Kind::Response(_)) => DialogState::ResponseOnly,
            _ => DialogState::Pending,
        };
        Self {
            id,
            // Wire headers are far shorter than 4 GiB.
            from_at: u32::try_from(from_at).unwrap_or(u32::MAX),
            to_at: u32::try_from(to_at).unwrap_or(u32::MAX),
            names: names.into_boxed_str(),
            kind,
            user_agent: None,
            user_agent_shared: false,
            call_id_spilled: false,
            rare: None,
            // Room for a typical dialog of its kind, so millions of dialogs do
            // not each carry a half-empty doubled buffer.
            messages: Vec::with_capacity(match kind {
                DialogKind::Call => 7,         // INVITE 100 180 200 ACK BYE 200
                DialogKind::Registration => 4, // REGISTER 401 REGISTER 200
                _ => 2,
            }),
            state,
            first_invite_ns: At::NONE,
            first_18x_ns: At::NONE,
            answer_ns: At::NONE,
            ack_ns: At::NONE,
            bye_ns: At::NONE,
            cancelled: false,
            invite_sent_ns: At::NONE,
            invite_answered: false,
            keys_seen: 0,
            kept_sdp: false,
            dropped_messages: 0,
            messages_heap: 0,
        }
    }

    /// The Call-ID (or, for a message without one, [`super::NO_CALL_ID`]
    /// and a number).
    #[must_use]
    pub fn call_id(&self) -> &str {
        self.names.get(..self.from_at as usize).unwrap_or_default()
    }

    /// The From header as written.
    #[must_use]
    pub fn from(&self) -> &str {
        self.names
            .get(self.from_at as usize..self.to_at as usize)
            .unwrap_or_default()
    }

    /// The To header as written.
    #[must_use]
    pub fn to(&self) -> &str {
        self.names.get(self.to_at as usize..).unwrap_or_default()
    }

    /// Everything this dialog holds, by estimate (docs/ARCHITECTURE.md,
    /// "Memory"): its struct (in the table's chunks: no allocation of its
    /// own) and its share of the call index, its strings (the Call-ID also
    /// only when it is a key of the model's spilled Call-IDs: the hashed
    /// table holds a hash), the User-Agent unless shared, the messages'
    /// vector by capacity and what each message holds, the transaction keys.
    #[must_use]
    #[inline]
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
            + super::call_index::DIALOG_SHARE
            + if self.call_id_spilled {
                self.call_id().len() + OVERHEAD
            } else {
                0
            }
            + if self.names.is_empty() {
                0
            } else {
                self.names.len() + OVERHEAD
            }
            + match &self.user_agent {
                Some(ua) if !self.user_agent_shared => ua.len() + 16 + OVERHEAD,
                _ => 0,
            }
            + self.rare.as_ref().map_or(0, |r| {
                std::mem::size_of::<Rare>()
                    + OVERHEAD
                    + r.x_call_ids
                        .iter()
                        .map(|x| 2 * string(x) + super::MAP_ENTRY)
                        .sum::<usize>()
                    + r.x_call_ids.capacity() * std::mem::size_of::<String>()
                    + r.seen.capacity() * 8
            })
            + self.messages.capacity() * std::mem::size_of::<Message>()
            + OVERHEAD
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

    /// The method a dialog is known by (the call list's Method column):
    /// its first request's, else (only responses seen) the method their
    /// CSeq names, so a lone `200 OK` to a BYE reads `BYE`, not `200`.
    #[must_use]
    pub fn method(&self) -> Option<Method> {
        self.messages
            .iter()
            .find_map(Message::method)
            .or_else(|| self.messages.iter().find_map(|m| m.cseq.map(|(_, x)| x)))
    }

    /// [`Dialog::method`] as text; empty when no message says one.
    #[must_use]
    pub fn method_label(&self) -> String {
        self.method().map(|m| m.to_string()).unwrap_or_default()
    }

    /// The text a display filter (`/`, `--filter`) matches: what the call
    /// list's row shows, the Call-ID and every status code.
    #[must_use]
    pub fn filter_text(&self, clock: Clock) -> String {
        let mut out = String::new();
        self.write_filter_text(clock, &mut out);
        out
    }

    /// Appends [`Dialog::filter_text`] to `out` (the UI's filter index
    /// keeps a million of them in one string).
    pub fn write_filter_text(&self, clock: Clock, out: &mut String) {
        use std::fmt::Write;
        let first = self.first_request();
        if let Some(m) = self.method() {
            let _ = write!(out, "{m}");
        }
        let _ = write!(out, " {} {} ", self.from(), self.to());
        if let Some(m) = first {
            let _ = write!(out, "{}", m.src());
        }
        out.push(' ');
        if let Some(m) = first {
            let _ = write!(out, "{}", m.dst());
        }
        let _ = write!(out, " {} {} ", self.state_at(clock).name(), self.call_id());
        for (i, s) in self.messages.iter().filter_map(Message::status).enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let _ = write!(out, "{s}");
        }
    }

    /// The state at `clock`. A request no response answered within the
    /// transaction timeout (Timer B; Timer F for other requests, which runs
    /// on after a provisional response) has failed, and a challenged
    /// registration never retried has failed to authenticate. An INVITE
    /// that had a provisional response runs no timer: it goes on waiting
    /// (ringing, early media) while the capture does, and once the capture
    /// has ended without a final response its outcome is unknown.
    #[must_use]
    pub fn state_at(&self, clock: Clock) -> DialogState {
        if !self.state.is_waiting() {
            return self.state;
        }
        let timed_out = clock.now_ns - self.last_ts() > TRANSACTION_TIMEOUT_NS;
        match self.state {
            DialogState::Challenged if timed_out => DialogState::AuthFailed,
            DialogState::Challenged => self.state,
            DialogState::Pending if timed_out => DialogState::Failed,
            DialogState::Setup
                if !self.invite_answered
                    && clock.now_ns
                        - self.invite_sent_ns.get().unwrap_or_else(|| self.first_ts())
                        > TRANSACTION_TIMEOUT_NS =>
            {
                DialogState::Failed
            }
            _ if clock.ended => DialogState::Unknown,
            _ => self.state,
        }
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
        Some(self.first_18x_ns.get()? - self.first_invite_ns.get()?)
    }

    /// First INVITE to the 2xx that answered it.
    #[must_use]
    pub fn answer_ns(&self) -> Option<i64> {
        Some(self.answer_ns.get()? - self.first_invite_ns.get()?)
    }

    /// ACK (or the answer, when no ACK was seen) to BYE.
    #[must_use]
    pub fn talk_ns(&self) -> Option<i64> {
        let start = self.ack_ns.get().or(self.answer_ns.get())?;
        Some(self.bye_ns.get()? - start)
    }

    #[must_use]
    pub fn total_ns(&self) -> i64 {
        self.last_ts() - self.first_ts()
    }

    /// How long the dialog lasted, the one figure every view and report
    /// shows: from its first message to its last; while the capture goes on
    /// and the dialog is not over, to `clock.now_ns` (a call in progress
    /// ticks). Once the capture ended, what the capture saw: a capture
    /// holding calls from years apart does not stretch one to the newest.
    #[must_use]
    pub fn duration_at(&self, clock: Clock) -> i64 {
        if clock.ended || self.state_at(clock).is_finished() {
            self.total_ns()
        } else {
            clock.now_ns.max(self.last_ts()) - self.first_ts()
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
    pub fn ended_at(&self, clock: Clock) -> bool {
        let state = self.state_at(clock);
        if !state.is_finished() {
            return false;
        }
        if clock.now_ns - self.last_ts() >= TRANSACTION_TIMEOUT_NS {
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

    /// Reads what ingesting a message into this dialog reads of the struct
    /// (a field on each of its cache lines), for `Model::warm`: the value
    /// returned only keeps the reads from being optimised away.
    pub(crate) fn touch(&self) -> u64 {
        self.id.0
            ^ u64::from(self.keys_seen)
            ^ u64::from(self.rare.is_some())
            ^ u64::from(self.user_agent.is_some())
            ^ self.dropped_messages
            ^ self.messages_heap as u64
            ^ u64::from(self.to_at)
            ^ self.invite_sent_ns.0.cast_unsigned()
            ^ self.first_invite_ns.0.cast_unsigned()
            ^ self.bye_ns.0.cast_unsigned()
    }

    /// Asks for the Call-ID's text (its ends) and the newest messages, which
    /// a lookup and [`Dialog::mark_retransmission`] and [`Dialog::keep`]
    /// compare: the step of `Model::warm` after [`Dialog::touch`]. Nothing
    /// is read from them here, so prefetches (which never hold the core up)
    /// do instead of loads.
    pub(crate) fn prefetch_held(&self) {
        let text = self.call_id().as_bytes();
        if let (Some(first), Some(last)) = (text.first(), text.last()) {
            super::prefetch(first);
            super::prefetch(last);
        }
        for m in self.messages.iter().rev().take(WARM_MESSAGES) {
            super::prefetch(m);
        }
    }

    /// Records whether `m` retransmits a message already seen, keyed by
    /// direction, top Via branch, CSeq and status.
    pub(crate) fn mark_retransmission(&mut self, m: &mut Message, key: u64) {
        m.key = key;
        let bit = 1u32 << (key >> 59);
        if self.keys_seen & bit != 0
            && (self.messages.iter().any(|x| x.key == key)
                || self.rare.as_ref().is_some_and(|r| r.seen.contains(&key)))
        {
            m.set_retransmission();
        }
        self.keys_seen |= bit;
    }

    /// Keeps a message in time order (even when transports interleave: TCP
    /// completes late). Nearly always the newest, known from the last one.
    pub(crate) fn keep(&mut self, m: Message) {
        self.kept_sdp |= m.has_sdp();
        let at = if self.messages.last().is_none_or(|x| x.ts_ns <= m.ts_ns) {
            self.messages.len()
        } else {
            self.messages.partition_point(|x| x.ts_ns <= m.ts_ns)
        };
        self.messages.insert(at, m);
    }

    /// Does a kept message carry SDP?
    #[must_use]
    pub fn has_sdp(&self) -> bool {
        self.kept_sdp
    }

    /// Keeps the key of a message that is not kept (the dialog is full).
    pub(crate) fn remember(&mut self, m: &Message) {
        if !m.retransmission() {
            self.rare.get_or_insert_default().seen.push(m.key);
        }
    }

    /// Call-IDs this dialog names in X-Call-ID / X-CID.
    #[must_use]
    pub fn x_call_ids(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |r| r.x_call_ids.as_slice())
    }

    /// Adds a Call-ID named in X-Call-ID (at most 16); `false` when it was
    /// there already or there is no room.
    pub(crate) fn add_x_call_id(&mut self, x: &str) -> bool {
        if self.x_call_ids().iter().any(|c| c == x) || self.x_call_ids().len() >= 16 {
            return false;
        }
        self.rare
            .get_or_insert_default()
            .x_call_ids
            .push(x.to_owned());
        true
    }

    /// Advances the state machine with a new message (retransmissions are
    /// listed but change nothing).
    pub(crate) fn advance(&mut self, m: &Message, expires_zero: bool) {
        if m.retransmission() {
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
                    self.first_invite_ns.set(ts);
                }
                if self.invite_sent_ns.is_none() {
                    self.invite_sent_ns.set(ts);
                }
                // A new INVITE after a challenge starts over (Timer B too);
                // so does the INVITE of responses seen before it (captured
                // out of order).
                if matches!(self.state, DialogState::Rejected(401 | 407)) {
                    self.invite_sent_ns.set(ts);
                    self.invite_answered = false;
                    self.state = DialogState::Setup;
                } else if self.state == DialogState::ResponseOnly {
                    self.state = DialogState::Setup;
                }
            }
            Method::Ack if self.state == DialogState::InCall && self.ack_ns.is_none() => {
                self.ack_ns.set(ts);
            }
            // A CANCEL matters while no final response has come (a CANCEL
            // crossing the final response changes nothing).
            Method::Cancel
                if matches!(
                    self.state,
                    DialogState::Setup
                        | DialogState::Ringing
                        | DialogState::EarlyMedia
                        | DialogState::MidDialog
                        | DialogState::ResponseOnly
                ) =>
            {
                self.cancelled = true;
                self.state = DialogState::Cancelled(None);
            }
            Method::Bye => {
                if self.bye_ns.is_none() {
                    self.bye_ns.set(ts);
                }
                self.state = DialogState::Completed;
            }
            _ => {}
        }
    }

    fn invite_response(&mut self, code: u16, m: &Message) {
        self.invite_answered = true;
        // Picked up mid-dialog, an INVITE is a re-INVITE: the call is up.
        let established = matches!(
            self.state,
            DialogState::InCall | DialogState::Completed | DialogState::MidDialog
        );
        match code {
            100..=199 => {
                if (180..200).contains(&code) && self.first_18x_ns.is_none() {
                    self.first_18x_ns.set(m.ts_ns);
                }
                if established || self.cancelled {
                    return;
                }
                if code == 183 || (code > 100 && m.has_sdp()) {
                    self.state = DialogState::EarlyMedia;
                } else if code >= 180 && self.state != DialogState::EarlyMedia {
                    self.state = DialogState::Ringing;
                }
            }
            200..=299 => {
                if self.answer_ns.is_none() {
                    self.answer_ns.set(m.ts_ns);
                }
                if !established || self.state == DialogState::MidDialog {
                    self.state = DialogState::InCall;
                }
            }
            _ if established => {} // a failed re-INVITE leaves the call up
            // After a CANCEL, the final response says how the cancel went:
            // 487 as usual, else its code (a 408 after unanswered CANCELs).
            _ if self.cancelled => {
                self.state = DialogState::Cancelled((code != 487).then_some(code));
            }
            300..=399 => self.state = DialogState::Diverted(code),
            486 | 600 => self.state = DialogState::Busy,
            408 => self.state = DialogState::Failed,
            _ => self.state = DialogState::Rejected(code),
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

#[cfg(test)]
impl Dialog {
    /// An OPTIONS dialog `id` with nothing in it but its first message.
    pub(crate) fn for_tests(id: DialogId) -> Self {
        let carried = super::message::Carried {
            src: "10.0.0.1:5060".parse().unwrap(),
            dst: "10.0.0.2:5060".parse().unwrap(),
            raw: b"OPTIONS sip:a SIP/2.0\r\n\r\n",
            raw_in_file: None,
            frames: smallvec::SmallVec::new(),
            origin: 0,
        };
        let first = Message {
            ts_ns: 0,
            store: super::message::Store::of(carried, 0, false),
            transport: crate::decode::Transport::Udp,
            kind: Kind::Request(Method::Options),
            cseq: None,
            defects: crate::sip::scan::Defects::default(),
            flags: 0,
            branch: 0,
            branch2: 0,
            key: 0,
        };
        Self::new(id, format!("call-{}", id.0), (7, 7), &first, false)
    }
}

#[cfg(test)]
mod tests {
    /// Hundreds of thousands of dialogs: six instants in 8 bytes each, the
    /// User-Agent shared, the transaction keys in the messages, what few
    /// dialogs need behind one pointer.
    #[test]
    fn a_dialog_stays_small() {
        assert_eq!(std::mem::size_of::<super::Dialog>(), 160);
    }
}
