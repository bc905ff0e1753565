//! Small shared pieces with typed props. None of them holds a business rule: verdicts, lengths
//! and validity arrive as props computed by the core.

mod confirm;
mod fields;
mod layout;
mod photo;
mod picker;
mod verdict;

pub use confirm::ConfirmButton;
pub use fields::{
    field_dom_id, ChoiceList, DateField, FieldMessage, NumberField, TextField, VillageSelect, YesNo,
};
pub use layout::{ActionBar, Page, ToastView};
pub use photo::PhotoSlot;
pub use picker::HouseholdPicker;
pub use verdict::VerdictCard;
