//! One pool, on SQLite (WAL) or PostgreSQL, through sqlx's `Any` driver.
//!
//! Upstream owns the schema through Alembic. This backend never alters a table that
//! exists: on a database Open WebUI created it only reads and writes rows, and on an
//! empty database it creates the tables of its slice with upstream's columns and types.
//!
//! The `Any` driver decodes text, integers and floats the same way on both engines;
//! JSON, BOOLEAN and DATE columns are read through a cast, and written through one on
//! PostgreSQL only (SQLite's `CAST` would turn `'2000-01-01'` into `2000`).

use std::sync::Arc;

use serde_json::Value;
use sqlx::any::{Any, AnyArguments, AnyPoolOptions, install_default_drivers};
use sqlx::query::Query;
use sqlx::{AnyPool, Executor};

// --8<-- [start:session]
/// Which engine the URL names: the few SQL differences hang on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// A file in `DATA_DIR`, upstream's default.
    Sqlite,
    /// `postgresql://…`.
    Postgres,
}

/// The pool and its dialect: what `Session` is to the Python twin.
#[derive(Clone, Debug)]
pub struct Db {
    /// Cheap to clone: every clone shares the same connections.
    pub pool: AnyPool,
    /// The engine behind the pool.
    pub dialect: Dialect,
}
// --8<-- [end:session]

// --8<-- [start:engine]
impl Db {
    /// A pool for `url`; SQLite connections switch to WAL, as upstream's do.
    ///
    /// Each new SQLite connection then runs `pragmas`, the checked `(name, value)`
    /// pairs of `Settings::sqlite_pragmas`; PostgreSQL ignores them.
    ///
    /// # Errors
    /// The database cannot be reached or the file cannot be created.
    pub async fn connect(
        url: &str,
        pragmas: &[(String, String)],
    ) -> Result<Self, sqlx::Error> {
        install_default_drivers();
        let (url, dialect) = match url.strip_prefix("sqlite:///") {
            // SQLAlchemy's `sqlite:///path`; `mode=rwc` creates a missing file.
            Some(path) => (format!("sqlite://{path}?mode=rwc"), Dialect::Sqlite),
            None => (url.to_owned(), Dialect::Postgres),
        };
        // SQLAlchemy leaves foreign keys off; so does upstream.
        let setup: Arc<str> = pragmas
            .iter()
            .fold(
                String::from("PRAGMA journal_mode=WAL; PRAGMA foreign_keys=OFF"),
                |sql, (name, value)| format!("{sql}; PRAGMA {name}={value}"),
            )
            .into();
        let pool = AnyPoolOptions::new()
            // A local SQLite file cannot drop a connection: no ping before each use,
            // as upstream's SQLite engine has none (a ping is a trip to sqlx's worker
            // thread). PostgreSQL keeps it.
            .test_before_acquire(dialect == Dialect::Postgres)
            .after_connect(move |connection, _meta| {
                let setup = Arc::clone(&setup);
                Box::pin(async move {
                    if dialect == Dialect::Sqlite {
                        connection.execute(&*setup).await?;
                    }
                    Ok(())
                })
            })
            .connect(&url)
            .await?;
        Ok(Self { pool, dialect })
    }

    /// The placeholder `$n` for a value bound to a JSON column.
    #[must_use]
    pub fn json(&self, n: usize) -> String {
        self.cast(n, "JSON")
    }

    /// The placeholder `$n` for a value bound to a DATE column.
    #[must_use]
    pub fn date(&self, n: usize) -> String {
        self.cast(n, "DATE")
    }

    fn cast(&self, n: usize, sql_type: &str) -> String {
        match self.dialect {
            Dialect::Sqlite => format!("${n}"),
            Dialect::Postgres => format!("CAST(${n} AS {sql_type})"),
        }
    }
}
// --8<-- [end:engine]

// --8<-- [start:json-text]
/// A JSON value as the text bound to a JSON or TEXT column.
#[must_use]
pub fn json_text(value: &Value) -> String {
    value.to_string()
}

/// A JSON column read back; text that is not JSON reads as null.
#[must_use]
pub fn from_json_text(text: Option<&str>) -> Option<Value> {
    text.and_then(|text| serde_json::from_str(text).ok())
}
// --8<-- [end:json-text]

// --8<-- [start:driver-errors]
/// PostgreSQL's codes for text it cannot hold: a NUL (`character_not_in_repertoire`),
/// a `\u0000` escape read into text (`untranslatable_character`).
const UNSTORABLE_TEXT_CODES: [&str; 2] = ["22021", "22P05"];

/// Whether the database refused text it cannot store: on PostgreSQL, a NUL.
///
/// `ApiError`'s conversion makes it the client's error, a 400, where upstream
/// answers 500. SQLite stores a NUL, as upstream's does.
#[must_use]
pub fn is_unstorable_text(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|error| {
        error
            .code()
            .is_some_and(|code| UNSTORABLE_TEXT_CODES.contains(&code.as_ref()))
    })
}

/// Whether the database refused a duplicate key.
#[must_use]
pub fn is_unique_violation(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(sqlx::error::DatabaseError::is_unique_violation)
}
// --8<-- [end:driver-errors]

// --8<-- [start:one-page]
/// Page `page` (from 1) of `size` rows as `(offset, limit)`; page 0 and below read as
/// page 1.
#[must_use]
pub fn one_page(page: i64, size: i64) -> (i64, i64) {
    ((page.max(1) - 1).saturating_mul(size), size)
}
// --8<-- [end:one-page]

// --8<-- [start:binds]
/// The text values a statement built piece by piece binds, numbered as they are added.
#[derive(Debug, Default)]
pub struct Binds(pub Vec<String>);

impl Binds {
    /// Bind `value`; its placeholder.
    pub fn add(&mut self, value: impl Into<String>) -> String {
        self.0.push(value.into());
        format!("${}", self.0.len())
    }

    /// Bind each of `values`; their placeholders, comma-separated, for `IN (…)`.
    pub fn list<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) -> String {
        let placeholders: Vec<String> =
            values.into_iter().map(|value| self.add(value)).collect();
        placeholders.join(", ")
    }

    /// `sql` with every value bound, in order.
    pub fn query<'q>(&'q self, sql: &'q str) -> Query<'q, Any, AnyArguments<'q>> {
        self.0.iter().fold(sqlx::query(sql), Query::bind)
    }
}
// --8<-- [end:binds]

/// A table of the slice: its name and the statements that create it and its indexes.
pub struct Table {
    /// The table's name, unquoted.
    pub name: &'static str,
    /// `CREATE TABLE` first, then `CREATE INDEX`; `{true}` is the dialect's true.
    pub ddl: &'static [&'static str],
}

// --8<-- [start:create-tables]
/// Create the slice's missing tables with their indexes; existing ones stay as they are.
///
/// # Errors
/// A statement failed; the tables created before it stay.
pub async fn create_tables(db: &Db, tables: &[&Table]) -> Result<(), sqlx::Error> {
    let true_literal = match db.dialect {
        Dialect::Sqlite => "1",
        Dialect::Postgres => "true",
    };
    for table in tables {
        if table_exists(db, table.name).await? {
            continue;
        }
        let mut tx = db.pool.begin().await?;
        for statement in table.ddl {
            tx.execute(statement.replace("{true}", true_literal).as_str())
                .await?;
        }
        tx.commit().await?;
    }
    Ok(())
}
// --8<-- [end:create-tables]

/// Whether the database has the table `name` (unquoted).
///
/// # Errors
/// The database failed.
pub async fn table_exists(db: &Db, name: &str) -> Result<bool, sqlx::Error> {
    let exists = match db.dialect {
        Dialect::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1"
        }
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let count: i64 = sqlx::query_scalar(exists)
        .bind(name)
        .fetch_one(&db.pool)
        .await?;
    Ok(count > 0)
}

// --8<-- [start:tests]
#[cfg(test)]
mod tests {
    use super::one_page;
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Vectors {
        pages: Vec<Case>,
    }

    #[derive(Deserialize)]
    struct Case {
        page: i64,
        size: i64,
        offset: i64,
        limit: i64,
    }

    #[test]
    fn offset_and_limit_match_the_python_twin() {
        let vectors: Vectors = serde_json::from_str(include_str!(
            "../../../../snippets/vectors/pagination.json"
        ))
        .unwrap();
        for case in vectors.pages {
            assert_eq!(
                one_page(case.page, case.size),
                (case.offset, case.limit),
                "page {} of {}",
                case.page,
                case.size
            );
        }
    }
}
// --8<-- [end:tests]
