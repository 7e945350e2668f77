//! Which line of the ladder shows what: arrows in time order, and the
//! timers that fired between them (RFC 3261 B, F, H and 64×T1; RFC 4028's
//! refresh) each on a line of its own at its place in time: before the
//! first arrow at or after its time, so a BYE sent when 64×T1 ran out comes
//! under the marker that explains it; after the last arrow when it fired
//! later than every message.

use crate::model::timers::Fired;

/// One line under the column names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Line {
    /// Arrow `i` of the flow.
    Arrow(usize),
    /// Timer `k` of the fired timers, in time order.
    Timer(usize),
}

/// Where the fired timers go among `arrows` (their times, in order):
/// `before[i]` is the first timer shown after arrow `i - 1` (the timers
/// `before[i]..before[i + 1]` come just before arrow `i`), and the timers
/// from `before[arrows.len()]` on come after the last arrow. `fired` is in
/// time order.
#[derive(Debug)]
pub(super) struct Placement {
    before: Vec<usize>,
    timers: usize,
}

impl Placement {
    pub fn new(arrows: &[i64], fired: &[Fired]) -> Self {
        let mut before = Vec::with_capacity(arrows.len() + 1);
        for ts in arrows {
            before.push(fired.partition_point(|f| f.ts_ns <= *ts));
        }
        // A clock that went back puts an arrow before an earlier one: the
        // places never go back either.
        for i in 1..before.len() {
            let prev = before.get(i - 1).copied().unwrap_or(0);
            if let Some(b) = before.get_mut(i) {
                *b = (*b).max(prev);
            }
        }
        before.insert(0, 0);
        Self {
            before,
            timers: fired.len(),
        }
    }

    fn arrows(&self) -> usize {
        self.before.len() - 1
    }

    /// The timers that come just before arrow `i`.
    fn timers_before(&self, i: usize) -> std::ops::Range<usize> {
        let from = self.before.get(i).copied().unwrap_or(self.timers);
        let to = self.before.get(i + 1).copied().unwrap_or(self.timers);
        from..to.max(from)
    }

    /// The timers after the last arrow.
    fn trailing(&self) -> std::ops::Range<usize> {
        self.before.last().copied().unwrap_or(0).min(self.timers)..self.timers
    }

    /// Lines arrow `i` takes: the timers just before it, itself, and for
    /// the last arrow the timers after it.
    fn block(&self, i: usize) -> usize {
        let trailing = if i + 1 == self.arrows() {
            self.trailing().len()
        } else {
            0
        };
        self.timers_before(i).len() + 1 + trailing
    }

    /// The first arrow to draw: `first` (the one drawn first last time),
    /// moved just enough that the cursor's arrow, with the timers before it
    /// (and after it, for the last), fits in `visible` lines.
    pub fn scroll(&self, first: usize, cursor: usize, visible: usize) -> usize {
        let cursor = cursor.min(self.arrows().saturating_sub(1));
        let mut offset = first.min(cursor);
        let mut used: usize = (offset..=cursor).map(|i| self.block(i)).sum();
        while offset < cursor && used > visible {
            used -= self.block(offset);
            offset += 1;
        }
        offset
    }

    /// The lines from arrow `offset` on, at most `visible`.
    pub fn lines(&self, offset: usize, visible: usize) -> Vec<Line> {
        let mut out = Vec::with_capacity(visible);
        for i in offset..self.arrows() {
            out.extend(self.timers_before(i).map(Line::Timer));
            out.push(Line::Arrow(i));
            if out.len() >= visible {
                break;
            }
        }
        if out.len() < visible && offset < self.arrows() {
            out.extend(self.trailing().map(Line::Timer));
        }
        out.truncate(visible);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fired(ts: &[i64]) -> Vec<Fired> {
        ts.iter()
            .map(|t| Fired {
                ts_ns: *t,
                text: String::new(),
            })
            .collect()
    }

    #[test]
    fn a_timer_goes_before_the_first_arrow_at_or_after_its_time() {
        // Arrows at 0, 10, 20, 30; a refresh due at 15 (before 20), 64xT1
        // at 30 (with the BYE it caused), Timer B at 40 (after them all).
        let p = Placement::new(&[0, 10, 20, 30], &fired(&[15, 30, 40]));
        assert_eq!(
            p.lines(0, 10),
            [
                Line::Arrow(0),
                Line::Arrow(1),
                Line::Timer(0),
                Line::Arrow(2),
                Line::Timer(1),
                Line::Arrow(3),
                Line::Timer(2),
            ]
        );
        // Cut to the room there is.
        assert_eq!(
            p.lines(1, 3),
            [Line::Arrow(1), Line::Timer(0), Line::Arrow(2)]
        );
        // From arrow 2: the timer before it is its own, shown above it.
        assert_eq!(
            p.lines(2, 10),
            [
                Line::Timer(0),
                Line::Arrow(2),
                Line::Timer(1),
                Line::Arrow(3),
                Line::Timer(2)
            ]
        );
    }

    #[test]
    fn the_cursor_stays_in_view_with_the_timers_around_it() {
        let p = Placement::new(&[0, 10, 20, 30], &fired(&[15, 30, 40]));
        // Four lines: arrows 2 and 3 with their timers take five.
        assert_eq!(p.scroll(0, 3, 4), 3);
        assert_eq!(
            p.lines(3, 4),
            [Line::Timer(1), Line::Arrow(3), Line::Timer(2)]
        );
        // Enough room: nothing moves.
        assert_eq!(p.scroll(0, 3, 7), 0);
        // Back above the first drawn: the cursor's arrow comes first.
        assert_eq!(p.scroll(3, 1, 4), 1);
        // A block longer than the screen: the cursor's arrow still first.
        assert_eq!(p.scroll(0, 3, 1), 3);
    }

    #[test]
    fn no_timers_no_arrows_and_clocks_that_go_back() {
        let p = Placement::new(&[0, 10], &[]);
        assert_eq!(p.lines(0, 5), [Line::Arrow(0), Line::Arrow(1)]);
        assert_eq!(p.scroll(0, 1, 1), 1);
        let none = Placement::new(&[], &fired(&[5]));
        assert_eq!(none.lines(0, 5), []);
        assert_eq!(none.scroll(3, 7, 5), 0);
        // The second arrow is older than the first (merged captures): each
        // timer is still shown once.
        let p = Placement::new(&[20, 5, 30], &fired(&[10, 25]));
        let lines = p.lines(0, 10);
        assert_eq!(
            lines.iter().filter(|l| matches!(l, Line::Timer(_))).count(),
            2
        );
        assert_eq!(lines.len(), 5);
    }
}
