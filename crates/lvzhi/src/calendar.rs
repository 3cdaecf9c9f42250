//! `lvzhi calendar`: the working-day calendar (holidays and 调休) the admin
//! maintains for the years after those embedded in the binary.

use crate::DbArg;
use clap::Subcommand;
use lvzhi_store::{Store, StoreError};

/// `lvzhi calendar …`.
#[derive(Subcommand)]
pub(crate) enum CalendarCmd {
    /// Load a year's holiday plan (or several) from a TOML file; a year loaded
    /// replaces the one stored or embedded (format: `lvzhi calendar show 2026 --toml`).
    Load {
        #[command(flatten)]
        db: DbArg,
        /// The calendar file
        file: std::path::PathBuf,
    },
    /// Show the plan of a year in force.
    Show {
        #[command(flatten)]
        db: DbArg,
        /// The year
        year: i16,
        /// Print it in the file format, to edit and load
        #[arg(long)]
        toml: bool,
    },
}

/// Runs a calendar command.
pub(crate) async fn run(cmd: CalendarCmd) -> Result<(), StoreError> {
    match cmd {
        CalendarCmd::Load { db, file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| StoreError::BadRequest(format!("无法读取{}：{e}", file.display())))?;
            let store = crate::open(&db).await?;
            let loaded = store.load_calendar(&Store::system_access(), &text).await;
            store.close().await;
            let loaded = loaded?;
            let years: Vec<String> = loaded.years.iter().map(|y| format!("{y}年")).collect();
            println!("已录入节假日安排：{}", years.join("、"));
            println!(
                "按暂定日历计算办理时限的在办记录{}条已按新安排重算，其中{}条办理时限有变化",
                loaded.recomputed.len(),
                loaded.changed.len()
            );
        }
        CalendarCmd::Show { db, year, toml } => {
            let store = crate::open(&db).await?;
            let plan = store.calendar_plan(year).await;
            store.close().await;
            let Some((plan, stored)) = plan? else {
                return Err(StoreError::NotFound(format!(
                    "{year}年的节假日安排尚未录入，请管理员在日历中补充（lvzhi calendar load 文件）"
                )));
            };
            if toml {
                print!("{}", plan.to_toml());
            } else {
                let from = match (stored, plan.provisional) {
                    (_, true) => "暂定，正式安排发布后请录入",
                    (true, false) => "管理员录入",
                    (false, false) => "系统内置",
                };
                println!("{year}年节假日安排（{from}）：{}", plan.source);
                for line in plan.describe() {
                    println!("  {line}");
                }
            }
        }
    }
    Ok(())
}
