//! What the scanner returns: spans into the message buffer ([`Span`]), the
//! start line, the defects found and the [`Head`] that gathers them.

/// A byte range inside the message buffer. `u32` keeps [`Head`] small.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub(super) fn new(start: usize, end: usize) -> Self {
        // Messages are capped at MAX_MESSAGE, far below u32::MAX.
        Self {
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The bytes this span covers, or an empty slice if it lies outside `buf`.
    #[must_use]
    pub fn get<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        buf.get(self.start as usize..self.end as usize)
            .unwrap_or_default()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    #[must_use]
    pub fn len(&self) -> usize {
        self.end.saturating_sub(self.start) as usize
    }
}

/// What the first line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartLine {
    Request { method: Span, uri: Span },
    Response { code: u16, reason: Span },
}

/// Why a message is flagged malformed. Several may hold at once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects(u16);

impl Defects {
    pub const NO_CALL_ID: Self = Self(1);
    pub const NO_CSEQ: Self = Self(1 << 1);
    pub const BAD_CSEQ: Self = Self(1 << 2);
    pub const NO_FROM_OR_TO: Self = Self(1 << 3);
    pub const NO_VIA: Self = Self(1 << 4);
    pub const BAD_CONTENT_LENGTH: Self = Self(1 << 5);
    /// The body is shorter than Content-Length says (snap length, truncation).
    pub const TRUNCATED_BODY: Self = Self(1 << 6);
    /// The header section never ended (snap length, truncation).
    pub const TRUNCATED_HEADERS: Self = Self(1 << 7);
    pub const BAD_HEADER_LINE: Self = Self(1 << 8);
    pub const TOO_LARGE: Self = Self(1 << 9);

    #[must_use]
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn insert(&mut self, other: Self) {
        self.0 |= other.0;
    }

    #[must_use]
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    #[must_use]
    pub fn bits(self) -> u16 {
        self.0
    }

    /// Human-readable names of the defects, for reports and the UI.
    #[must_use]
    pub fn names(self) -> Vec<&'static str> {
        const NAMES: [(Defects, &str); 10] = [
            (Defects::NO_CALL_ID, "no Call-ID"),
            (Defects::NO_CSEQ, "no CSeq"),
            (Defects::BAD_CSEQ, "bad CSeq"),
            (Defects::NO_FROM_OR_TO, "no From or To"),
            (Defects::NO_VIA, "no Via"),
            (Defects::BAD_CONTENT_LENGTH, "bad Content-Length"),
            (Defects::TRUNCATED_BODY, "body truncated"),
            (Defects::TRUNCATED_HEADERS, "headers truncated"),
            (Defects::BAD_HEADER_LINE, "bad header line"),
            (Defects::TOO_LARGE, "message too large"),
        ];
        NAMES
            .iter()
            .filter(|(d, _)| self.contains(*d))
            .map(|(_, n)| *n)
            .collect()
    }
}

/// The spans of one SIP message: everything the model and the views need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Head {
    pub start_line: Option<StartLine>,
    pub call_id: Span,
    pub cseq_num: Option<u32>,
    pub cseq_method: Span,
    /// From and To, whole; [`tag`] reads their tags when someone asks (the
    /// model does not need them, and the hot path is faster without).
    pub from: Span,
    pub to: Span,
    pub via_branch: Span,
    /// The branch of the second Via (a proxy's request carries the
    /// previous hop's there); empty when there is none.
    pub via_branch2: Span,
    /// A second Via was seen (with a branch or not).
    pub second_via: bool,
    pub contact: Span,
    pub content_type: Span,
    pub content_length: Option<u32>,
    pub user_agent: Span,
    pub server: Span,
    pub reason: Span,
    pub warning: Span,
    /// X-Call-ID / X-CID: the Call-ID of a correlated leg.
    pub x_call_id: Span,
    pub expires: Span,
    pub body: Span,
    pub defects: Defects,
}

impl Head {
    #[must_use]
    pub fn malformed(&self) -> bool {
        !self.defects.is_empty()
    }
}
