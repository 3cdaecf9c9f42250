//! Schema migrations, embedded in the binary, one folder per backend.
//!
//! A small runner rather than `sqlx::migrate!`: the macro needs sqlx's
//! `macros` feature, which builds both database drivers a second time for the
//! proc-macro host (minutes on a 2-core machine). This one keeps a checksum
//! per applied migration and refuses to start on a database whose applied
//! migrations differ from the binary's.

use crate::StoreError;
use crate::db::{Conn, P};
use sha2::{Digest, Sha256};

/// `(version, description, sqlite sql, postgres sql)`.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "assessment",
        include_str!("../migrations/sqlite/0002_assessment.sql"),
        include_str!("../migrations/postgres/0002_assessment.sql"),
    ),
    (
        3,
        "report_templates",
        include_str!("../migrations/sqlite/0003_report_templates.sql"),
        include_str!("../migrations/postgres/0003_report_templates.sql"),
    ),
    (
        8,
        "unit_disabled",
        include_str!("../migrations/sqlite/0008_unit_disabled.sql"),
        include_str!("../migrations/postgres/0008_unit_disabled.sql"),
    ),
    (
        9,
        "list orders",
        include_str!("../migrations/sqlite/0009_list_orders.sql"),
        include_str!("../migrations/postgres/0009_list_orders.sql"),
    ),
    (
        10,
        "wide list indexes",
        include_str!("../migrations/sqlite/0010_wide_list_indexes.sql"),
        include_str!("../migrations/postgres/0010_wide_list_indexes.sql"),
    ),
    (
        11,
        "calendar",
        include_str!("../migrations/sqlite/0011_calendar.sql"),
        include_str!("../migrations/postgres/0011_calendar.sql"),
    ),
    (
        12,
        "record numbers",
        include_str!("../migrations/sqlite/0012_record_numbers.sql"),
        include_str!("../migrations/postgres/0012_record_numbers.sql"),
    ),
    (
        16,
        "security",
        include_str!("../migrations/sqlite/0016_security.sql"),
        include_str!("../migrations/postgres/0016_security.sql"),
    ),
    (
        17,
        "attachments",
        include_str!("../migrations/sqlite/0017_attachments.sql"),
        include_str!("../migrations/postgres/0017_attachments.sql"),
    ),
    (
        19,
        "notices",
        include_str!("../migrations/sqlite/0019_notices.sql"),
        include_str!("../migrations/postgres/0019_notices.sql"),
    ),
    (
        20,
        "outbox",
        include_str!("../migrations/sqlite/0020_outbox.sql"),
        include_str!("../migrations/postgres/0020_outbox.sql"),
    ),
    (
        21,
        "second factor",
        include_str!("../migrations/sqlite/0021_second_factor.sql"),
        include_str!("../migrations/postgres/0021_second_factor.sql"),
    ),
    (
        23,
        "field",
        include_str!("../migrations/sqlite/0023_field.sql"),
        include_str!("../migrations/postgres/0023_field.sql"),
    ),
    (
        25,
        "assessment minimum ballots",
        include_str!("../migrations/sqlite/0025_min_ballots.sql"),
        include_str!("../migrations/postgres/0025_min_ballots.sql"),
    ),
    (
        27,
        "channels: https trust, e-mail",
        include_str!("../migrations/sqlite/0027_channels_tls_mail.sql"),
        include_str!("../migrations/postgres/0027_channels_tls_mail.sql"),
    ),
    (
        28,
        "record co-units (协办单位)",
        include_str!("../migrations/sqlite/0028_co_units.sql"),
        include_str!("../migrations/postgres/0028_co_units.sql"),
    ),
    (
        30,
        "channels: audience (units, leaders) and notice kinds",
        include_str!("../migrations/sqlite/0030_channel_audience.sql"),
        include_str!("../migrations/postgres/0030_channel_audience.sql"),
    ),
];

/// The SQL of every migration for one backend (for the schema-parity test).
pub fn scripts(sqlite: bool) -> Vec<&'static str> {
    MIGRATIONS.iter().map(|m| if sqlite { m.2 } else { m.3 }).collect()
}

/// Applies every migration not yet applied, each in its own transaction.
pub async fn run(conn: &mut Conn<'_>) -> Result<usize, StoreError> {
    run_to(conn, i64::MAX).await
}

/// Applies the migrations up to and including `last` (a database as an
/// older binary left it: upgrade tests build their fixtures with it).
pub async fn run_to(conn: &mut Conn<'_>, last: i64) -> Result<usize, StoreError> {
    conn.script(
        "CREATE TABLE IF NOT EXISTS lvzhi_migrations (version BIGINT PRIMARY KEY, description TEXT NOT NULL, \
         checksum TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .await?;
    let applied = conn
        .rows("SELECT version, checksum FROM lvzhi_migrations ORDER BY version", &[])
        .await?;
    let sqlite = matches!(conn, Conn::Lite(_));
    let mut n = 0;
    for (version, desc, lite, pg) in MIGRATIONS.iter().filter(|m| m.0 <= last) {
        let sql = if sqlite { lite } else { pg };
        let sum = hex::encode(Sha256::digest(sql.as_bytes()));
        if let Some(r) = applied.iter().find(|r| r.i(0) == *version) {
            if r.t(1) != sum {
                return Err(StoreError::Config(format!(
                    "数据库中第{version}号迁移与本程序不一致 / migration {version} was changed after it was applied"
                )));
            }
            continue;
        }
        conn.script("BEGIN").await?;
        let res = async {
            conn.script(sql).await?;
            conn.exec(
                "INSERT INTO lvzhi_migrations (version, description, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                &[
                    P::I(*version),
                    P::T(desc.to_string()),
                    P::T(sum),
                    P::T(crate::now_stamp()),
                ],
            )
            .await
        }
        .await;
        match res {
            Ok(_) => conn.script("COMMIT").await?,
            Err(e) => {
                conn.script("ROLLBACK").await?;
                return Err(e);
            }
        }
        n += 1;
    }
    Ok(n)
}
