//! One state type per screen: each applies its own actions (returning a
//! [`Step`] for the stack of screens) and records where its view drew its
//! rows, so a click finds the row under it. The app holds what the screens
//! share. A new screen is a state type here, a view in `ui/views/`, one line
//! in [`Screen`] and its actions in the key map.

pub mod call_list;
pub mod columns;
pub mod filter_form;
pub mod findings;
pub mod help;
pub mod ladder;
pub mod message;
pub mod nav;
pub mod sort;
pub mod streams;

pub use call_list::CallListState;
pub use columns::ColumnsState;
pub use filter_form::{FilterFormState, FormStep};
pub use findings::FindingsState;
pub use help::HelpState;
pub use ladder::{ColourMode, LadderState, TimeMode};
pub use message::MessageState;
pub use nav::{DrawnRows, Screen, Step};
pub use streams::StreamsState;
