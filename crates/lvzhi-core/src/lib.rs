//! # lvzhi-core — the domain of lvzhi (履职)
//!
//! Everything here is pure: no I/O, no clock (the current time is always a
//! parameter), no database. The other crates persist, compute and render what
//! this crate defines.
//!
//! * [`money`] — exact amounts in 元, parsed from "21.6亿元" / "5,000万" and
//!   shown in 万元/亿元.
//! * [`ids`] — 统一社会信用代码 (GB 32100) and 身份证号 (GB 11643) checks, masking.
//! * [`period`] — 年/季/月/旬 and cumulative ranges.
//! * [`field`] — field types of a ledger and the validation of one value.
//! * [`ledger`] — ledger kinds, workflows and deadline rules, loaded from pack TOML.
//! * [`access`] — roles, scopes and what each role may see.
//! * [`event`] — the canonical form and hash chain of events.
//! * [`calendar`] — the working-day calendar (holidays and 调休), embedded for the published years.
//! * [`deadline`] — red/yellow warning status of an item on a given day.
//! * [`vocabulary`] — the header words of a pack, for import.
//!
//! **Invariant:** the core knows field *types*, never field *names*: a county
//! adds a ledger by adding a pack file, not code.

pub mod access;
pub mod assess;
pub mod calendar;
pub mod crypto;
pub mod deadline;
pub mod event;
pub mod field;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod period;
pub mod time;
pub mod vocabulary;

pub use rust_decimal::Decimal;
