//! The morning digest (issue 17 item 3): at 08:30 Asia/Shanghai each user
//! who has overdue (超期) or due-soon (临期) items gets one notice listing
//! them — in the inbox, and through the outbox trigger on every enabled
//! channel. "Mine" is: for a unit's clerk or head, the unit's open items (as
//! the daily 临期/超期 notices); for a leader, those of the units they oversee;
//! for everyone, their to-do items ([`Store::todo`]).
//!
//! **Invariant:** one digest per user per day however many servers run on one
//! database: the notice's unique `day_key` is `digest:<day>:<user>` and the
//! insert is `ON CONFLICT (day_key) DO NOTHING`, so a second writer — the same
//! server after a restart, or another server — writes nothing (and, the
//! insert being skipped, the outbox trigger puts no second message out).

use crate::db::P;
use crate::writer::{Cmd, Out};
use crate::{Store, StoreError};
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use lvzhi_core::access::Role;
use lvzhi_core::deadline::Warning;
use lvzhi_core::time::{date_cn, shanghai, stamp};

/// The local time the digest is due (Asia/Shanghai).
pub const DIGEST_AT: Time = Time::constant(8, 30, 0, 0);

/// At most this many items are named in one digest; the rest are counted.
const NAMED: usize = 10;

/// What one digest pass wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Digests {
    /// Users with something to report.
    pub due: u64,
    /// Digests written now (the others were written before).
    pub written: u64,
}

/// The digest's title and body for `items` (name, deadline, overdue?).
fn compose(today: Date, items: &[(String, Option<Date>, bool)]) -> (String, String) {
    let red = items.iter().filter(|i| i.2).count();
    let yellow = items.len() - red;
    let title = format!("每日提醒：超期{red}项，临期{yellow}项");
    let mut body = format!("{}，您的待办事项中：", date_cn(today));
    for (n, (name, due, over)) in items.iter().take(NAMED).enumerate() {
        let due = due.map(|d| format!("，办理时限{}", date_cn(d))).unwrap_or_default();
        body.push_str(&format!(
            "\n{}. 【{}】{name}{due}",
            n + 1,
            if *over { "超期" } else { "临期" }
        ));
    }
    if items.len() > NAMED {
        body.push_str(&format!("\n……等共{}项", items.len()));
    }
    body.push_str("\n请登录履职系统查看“我的待办”。");
    (title, body)
}

impl Store {
    /// Writes today's digests if it is 08:30 or later in Shanghai by the
    /// store's clock (earlier: nothing). Safe to run any number of times, on
    /// any number of servers.
    pub async fn write_digests(&self) -> Result<Digests, StoreError> {
        let now = self.now();
        let local = now.to_zoned(shanghai());
        if local.time() < DIGEST_AT {
            return Ok(Digests::default());
        }
        self.write_digests_for(local.date(), now).await
    }

    /// Writes the digests of `day` (stamped `at`): one per active user with
    /// overdue or due-soon to-do items, none twice.
    pub async fn write_digests_for(&self, day: Date, at: Timestamp) -> Result<Digests, StoreError> {
        let users = {
            let mut c = self.pool.acquire().await?;
            let prefix = format!("digest:{day}:");
            let done: std::collections::HashSet<String> = c
                .conn()
                .rows(
                    "SELECT day_key FROM notices WHERE day_key >= $1 AND day_key < $2",
                    &[P::T(prefix.clone()), P::T(format!("{prefix}~"))],
                )
                .await?
                .iter()
                .map(|r| r.t(0))
                .collect();
            c.conn()
                .rows("SELECT id FROM users WHERE disabled = $1 ORDER BY id", &[P::B(false)])
                .await?
                .iter()
                .map(|r| r.i(0))
                .filter(|u| !done.contains(&format!("{prefix}{u}")))
                .collect::<Vec<_>>()
        };
        let keys: Vec<&str> = self
            .pack
            .ledgers
            .iter()
            .filter(|k| k.workflow.is_some())
            .map(|k| k.key.as_str())
            .collect();
        let mut out = Digests::default();
        let mut statements = Vec::new();
        for u in users {
            let Ok((access, _)) = self.access_for(u).await else {
                continue;
            };
            // A unit's users: their unit's open items (as the daily 临期/超期
            // notices); a leader: the units they oversee; everyone: their 待办.
            let mut views = Vec::new();
            if matches!(access.role, Role::UnitClerk | Role::UnitHead | Role::Leader) {
                let unit = if access.role == Role::Leader { None } else { access.unit };
                views.extend(self.warned_items(&access, &keys, unit, None, 1000).await?.0);
            }
            views.extend(self.todo(&access, 1000).await?.0);
            let mut ids = std::collections::HashSet::new();
            let mut warned: Vec<(String, Option<Date>, bool)> = views
                .iter()
                .filter(|v| matches!(v.warning, Warning::Red | Warning::Yellow) && ids.insert(v.row.id))
                .map(|v| {
                    let name = match &v.row.number {
                        Some(n) => format!("{n}“{}”", v.row.title),
                        None => format!("“{}”", v.row.title),
                    };
                    let due = v.row.deadline.as_deref().and_then(|d| d.parse().ok());
                    (name, due, v.warning == Warning::Red)
                })
                .collect();
            if warned.is_empty() {
                continue;
            }
            // Overdue first, each part by deadline.
            warned.sort_by(|a, b| b.2.cmp(&a.2).then(a.1.cmp(&b.1)));
            out.due += 1;
            let (title, body) = compose(day, &warned);
            statements.push((
                "INSERT INTO notices (user_id, kind, record_id, title, body, actor_name, created_at, day_key) \
                 VALUES ($1, 'digest', NULL, $2, $3, '', $4, $5) ON CONFLICT (day_key) DO NOTHING"
                    .to_string(),
                vec![
                    P::I(u),
                    P::T(title),
                    P::T(body),
                    P::T(stamp(at)),
                    P::T(format!("digest:{day}:{u}")),
                ],
            ));
        }
        for chunk in statements.chunks(200) {
            if let Out::Ids(ns) = self
                .writer
                .send(Cmd::QuietEach {
                    statements: chunk.to_vec(),
                })
                .await?
            {
                out.written += ns.iter().map(|n| u64::try_from(*n).unwrap_or(0)).sum::<u64>();
            }
        }
        Ok(out)
    }
}

/// The server's digest loop: at start (today's, if past 08:30) and then at
/// every 08:30 Shanghai, writes the day's digests. Runs until aborted.
pub async fn run(store: Store) {
    loop {
        match store.write_digests().await {
            Ok(d) if d.written > 0 => tracing::info!(written = d.written, "站内信：每日提醒已写入"),
            Ok(_) => {}
            Err(e) => tracing::warn!("每日提醒未写入：{e}"),
        }
        let now = store.now().to_zoned(shanghai());
        let next = now
            .date()
            .to_datetime(DIGEST_AT)
            .to_zoned(shanghai())
            .ok()
            .filter(|t| *t > now)
            .or_else(|| {
                now.date()
                    .tomorrow()
                    .ok()
                    .and_then(|d| d.to_datetime(DIGEST_AT).to_zoned(shanghai()).ok())
            });
        let wait = next
            .and_then(|t| now.duration_until(&t).try_into().ok())
            .unwrap_or(std::time::Duration::from_secs(600));
        // Wake at least every ten minutes (a clock changed, a failed pass).
        tokio::time::sleep(wait.min(std::time::Duration::from_secs(600))).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_digest_names_ten_and_counts_the_rest() {
        let items: Vec<_> = (0..12)
            .map(|i| (format!("“事项{i}”"), Some(date(2026, 12, 1)), i < 3))
            .collect();
        let (t, b) = compose(date(2026, 12, 5), &items);
        assert_eq!(t, "每日提醒：超期3项，临期9项");
        assert!(b.starts_with("2026年12月5日，您的待办事项中："), "{b}");
        assert!(b.contains("1. 【超期】“事项0”，办理时限2026年12月1日"), "{b}");
        assert!(b.contains("10. 【临期】") && !b.contains("11. "), "{b}");
        assert!(b.contains("……等共12项"), "{b}");
    }
}
