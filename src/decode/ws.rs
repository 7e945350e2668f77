//! WebSocket framing (RFC 6455) for SIP over WebSocket (RFC 7118).
#![warn(clippy::indexing_slicing)]

/// Does a stream start with an HTTP request or response that upgrades to
/// WebSocket? Looks only at the header section, which must be complete.
#[must_use]
pub fn is_upgrade(head: &[u8]) -> bool {
    let starts_http = head.starts_with(b"GET ") || head.starts_with(b"HTTP/1.1 101");
    starts_http && memchr::memmem::find(&head.to_ascii_lowercase(), b"upgrade: websocket").is_some()
}

/// Length of an HTTP header section (through the blank line), if complete.
#[must_use]
pub fn http_head_len(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n\r\n").map(|i| i + 4)
}

/// One WebSocket frame.
#[derive(Debug, PartialEq, Eq)]
pub struct WsFrame {
    pub fin: bool,
    pub opcode: u8,
    /// The payload, unmasked.
    pub payload: Vec<u8>,
    /// Bytes the frame took in the stream.
    pub len: usize,
}

/// What [`frame`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum WsScan {
    Frame(WsFrame),
    Incomplete,
    /// Not a valid frame header (reserved opcode, absurd length).
    Invalid,
}

/// Frames larger than this are not SIP and are refused.
pub const MAX_FRAME: u64 = 1 << 20;

/// Reads one frame at the start of `buf`.
#[must_use]
pub fn frame(buf: &[u8]) -> WsScan {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return WsScan::Incomplete;
    };
    let opcode = b0 & 0x0F;
    if matches!(opcode, 3..=7 | 11..=15) {
        return WsScan::Invalid;
    }
    let masked = b1 & 0x80 != 0;
    let mut at = 2usize;
    let len = match b1 & 0x7F {
        126 => {
            let Some(b) = buf.get(2..4) else {
                return WsScan::Incomplete;
            };
            at = 4;
            u64::from(u16::from_be_bytes(b.try_into().unwrap_or([0xFF; 2])))
        }
        127 => {
            let Some(b) = buf.get(2..10) else {
                return WsScan::Incomplete;
            };
            at = 10;
            u64::from_be_bytes(b.try_into().unwrap_or([0xFF; 8]))
        }
        n => u64::from(n),
    };
    if len > MAX_FRAME {
        return WsScan::Invalid;
    }
    let mut key = [0u8; 4];
    if masked {
        let Some(k) = buf.get(at..at + 4) else {
            return WsScan::Incomplete;
        };
        key.copy_from_slice(k);
        at += 4;
    }
    let end = at + usize::try_from(len).unwrap_or(usize::MAX);
    let Some(body) = buf.get(at..end) else {
        return WsScan::Incomplete;
    };
    let payload = if masked {
        body.iter()
            .zip(key.iter().cycle())
            .map(|(b, k)| b ^ k)
            .collect()
    } else {
        body.to_vec()
    };
    WsScan::Frame(WsFrame {
        fin: b0 & 0x80 != 0,
        opcode,
        payload,
        len: end,
    })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn unmasks_a_client_frame() {
        let key = [1u8, 2, 3, 4];
        let text = b"OPTIONS sip:x SIP/2.0\r\n\r\n";
        let mut f = vec![0x81, 0x80 | u8::try_from(text.len()).unwrap()];
        f.extend_from_slice(&key);
        f.extend(text.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        let WsScan::Frame(fr) = frame(&f) else {
            panic!()
        };
        assert_eq!(fr.payload, text);
        assert_eq!(fr.len, f.len());
        assert!(fr.fin);
        assert_eq!(frame(&f[..f.len() - 1]), WsScan::Incomplete);
    }

    #[test]
    fn recognises_an_upgrade() {
        assert!(is_upgrade(
            b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nSec-WebSocket-Protocol: sip\r\n\r\n"
        ));
        assert!(!is_upgrade(b"GET / HTTP/1.1\r\n\r\n"));
        assert_eq!(frame(&[0x83, 0]), WsScan::Invalid);
    }
}
