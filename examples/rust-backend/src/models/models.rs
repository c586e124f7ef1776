//! Upstream's `model` table: workspace models, presets over a provider's model.
//!
//! A workspace model names a base model (`base_model_id`) and adds a system prompt,
//! parameters and display metadata. A row without a base model instead overrides
//! the settings of the provider model with the same id.
//!
//! The forms are validated by hand rather than by serde: pydantic reports every problem
//! at once, each with its type, message and place, and the routes need to know which
//! fields a form named, as pydantic's `model_fields_set` tells the Python twin.

use std::collections::{BTreeSet, HashSet};
use std::sync::LazyLock;

use axum::http::StatusCode;
use regex::Regex;
use serde::Serialize;
use serde_json::{Map, Number, Value, json};

use crate::utils::misc::{json_equal, same_number, truthy};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::errors::{ApiError, ValidationIssue};
use crate::internal::db::{
    Binds, Db, Dialect, Table, from_json_text, json_text, one_page,
};
use crate::models::access_grants::{
    AccessGrant, Grant, Principal, delete_grants, granted, grants_of, replace_grants,
};
use crate::models::model_history;
use crate::utils::misc::{json_safe, now};
use crate::utils::validate::validate_image_url;

/// The workspace list's page size.
pub const MODELS_PER_PAGE: i64 = 30;
/// Upstream refuses longer model ids.
pub const MAX_ID_LENGTH: usize = 256;
static FILE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^/api/v1/files/[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}/content$")
        .expect("the file URL pattern compiles")
});
const SORT_COLUMNS: [&str; 3] = ["name", "created_at", "updated_at"];
/// The `resource_type` of a model's rows in `access_grant`.
pub const RESOURCE: &str = "model";

// --8<-- [start:table]
/// `model`: `params` and `meta` are JSON kept in TEXT columns.
pub const TABLE: Table = Table {
    name: "model",
    ddl: &["CREATE TABLE model (
	id TEXT NOT NULL,
	user_id TEXT,
	base_model_id TEXT,
	name TEXT,
	params TEXT,
	meta TEXT,
	updated_at BIGINT,
	created_at BIGINT,
	is_active BOOLEAN DEFAULT {true} NOT NULL,
	version_id TEXT,
	PRIMARY KEY (id)
)"],
};

/// A `model` row as stored; Open WebUI may have left any column but two empty.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    /// The id chats name, often `org/model`.
    pub id: String,
    /// The owner.
    pub user_id: Option<String>,
    /// The provider model this one presets; `None` for an override of that model.
    pub base_model_id: Option<String>,
    /// The display name.
    pub name: Option<String>,
    /// `ModelParams` as JSON; `None` when the column is empty or not JSON.
    pub params: Option<Value>,
    /// `ModelMeta` as JSON; `None` when the column is empty or not JSON.
    pub meta: Option<Value>,
    /// Seconds since the epoch.
    pub updated_at: Option<i64>,
    /// Seconds since the epoch.
    pub created_at: Option<i64>,
    /// Whether chats may use the model.
    pub is_active: bool,
    /// The `model_history` entry the model runs.
    pub version_id: Option<String>,
}
// --8<-- [end:table]

/// A row's columns, the boolean read as an integer on both engines.
const COLUMNS: &str = "m.id, m.user_id, m.base_model_id, m.name, m.params, m.meta, \
    m.updated_at, m.created_at, CAST(m.is_active AS INTEGER) AS is_active, m.version_id";

impl Model {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        let json = |name: &str| -> Result<Option<Value>, sqlx::Error> {
            Ok(from_json_text(
                row.try_get::<Option<String>, _>(name)?.as_deref(),
            ))
        };
        Ok(Self {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            base_model_id: row.try_get("base_model_id")?,
            name: row.try_get("name")?,
            params: json("params")?,
            meta: json("meta")?,
            updated_at: row.try_get("updated_at")?,
            created_at: row.try_get("created_at")?,
            is_active: row.try_get::<i64, _>("is_active")? != 0,
            version_id: row.try_get("version_id")?,
        })
    }
}

/// The problems found in a payload so far, in the order pydantic finds them.
#[derive(Debug, Default)]
struct Validation {
    issues: Vec<ValidationIssue>,
}

/// `loc` one level down.
fn at(loc: &[Value], key: impl Into<Value>) -> Vec<Value> {
    let mut deeper = loc.to_vec();
    deeper.push(key.into());
    deeper
}

/// A pydantic `pattern`: the text its error message quotes, and the test it stands for.
#[derive(Clone, Copy)]
struct Pattern {
    text: &'static str,
    fits: fn(&str) -> bool,
}

/// One word, without whitespace.
const ONE_WORD: Pattern = Pattern {
    text: r"^\S+$",
    fits: |text| !text.is_empty() && !text.chars().any(char::is_whitespace),
};

/// Something besides whitespace.
const NOT_BLANK: Pattern = Pattern {
    text: r"\S",
    fits: |text| text.chars().any(|c| !c.is_whitespace()),
};

impl Validation {
    fn fail(
        &mut self,
        kind: &str,
        loc: Vec<Value>,
        msg: impl Into<String>,
        input: &Value,
    ) {
        self.issues.push(ValidationIssue {
            kind: kind.to_owned(),
            loc,
            msg: msg.into(),
            input: input.clone(),
        });
    }

    /// Whether `text` fits `pattern`; pydantic's complaint when it does not.
    fn matches(&mut self, pattern: Pattern, loc: Vec<Value>, text: &str) -> bool {
        let fits = (pattern.fits)(text);
        if !fits {
            let msg = format!("String should match pattern '{}'", pattern.text);
            self.fail("string_pattern_mismatch", loc, msg, &json!(text));
        }
        fits
    }

    /// A nested model's input: a JSON object, or pydantic's complaint.
    fn model<'v>(
        &mut self,
        value: &'v Value,
        loc: &[Value],
    ) -> Option<&'v Map<String, Value>> {
        if let Value::Object(object) = value {
            return Some(object);
        }
        let msg = "Input should be a valid dictionary or object to extract fields from";
        self.fail("model_attributes_type", loc.to_vec(), msg, value);
        None
    }

    fn dict<'v>(
        &mut self,
        value: &'v Value,
        loc: Vec<Value>,
    ) -> Option<&'v Map<String, Value>> {
        if let Value::Object(object) = value {
            return Some(object);
        }
        self.fail(
            "dict_type",
            loc,
            "Input should be a valid dictionary",
            value,
        );
        None
    }

    fn list<'v>(
        &mut self,
        value: &'v Value,
        loc: Vec<Value>,
    ) -> Option<&'v Vec<Value>> {
        if let Value::Array(items) = value {
            return Some(items);
        }
        self.fail("list_type", loc, "Input should be a valid list", value);
        None
    }

    fn string(&mut self, value: &Value, loc: Vec<Value>) -> Option<String> {
        if let Value::String(text) = value {
            return Some(text.clone());
        }
        self.fail("string_type", loc, "Input should be a valid string", value);
        None
    }

    /// A field without a default, parsed by `parse`; when it is absent, pydantic's
    /// `missing` and a stand-in value, as the payload is refused anyway.
    fn required<T: Default>(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        loc: &[Value],
        parse: impl FnOnce(&mut Self, &Value, Vec<Value>) -> T,
    ) -> T {
        if let Some(value) = object.get(key) {
            return parse(self, value, at(loc, key));
        }
        let input = Value::Object(object.clone());
        self.fail("missing", at(loc, key), "Field required", &input);
        T::default()
    }

    /// A required string, which must fit `pattern` if there is one.
    fn required_string(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        loc: &[Value],
        pattern: Option<Pattern>,
    ) -> String {
        self.required(object, key, loc, |validation, value, loc| {
            let text = validation.string(value, loc.clone())?;
            if let Some(pattern) = pattern {
                validation.matches(pattern, loc, &text);
            }
            Some(text)
        })
        .unwrap_or_default()
    }

    /// `T | None = None`: absent and null are `None`, anything else goes to `parse`.
    fn optional<T>(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        loc: &[Value],
        parse: impl FnOnce(&mut Self, &Value, Vec<Value>) -> Option<T>,
    ) -> Option<T> {
        let value = object.get(key).filter(|value| !value.is_null())?;
        parse(self, value, at(loc, key))
    }

    /// `str | None = None`.
    fn optional_string(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        loc: &[Value],
    ) -> Option<String> {
        self.optional(object, key, loc, Self::string)
    }

    /// `dict | None = None`.
    fn optional_dict(
        &mut self,
        object: &Map<String, Value>,
        key: &str,
        loc: &[Value],
    ) -> Option<Map<String, Value>> {
        self.optional(object, key, loc, |validation, value, loc| {
            validation.dict(value, loc).cloned()
        })
    }

    /// `dict[ControlKey, T]`: each key is checked, then its value; the dumps, in order.
    fn keyed(
        &mut self,
        value: &Value,
        loc: &[Value],
        item: fn(&mut Self, &Value, &[Value]) -> Value,
    ) -> Map<String, Value> {
        let Some(object) = self.dict(value, loc.to_vec()) else {
            return Map::new();
        };
        let mut dumped = Map::new();
        for (key, value) in object {
            self.matches(CONTROL_KEY, at(&at(loc, key.as_str()), "[key]"), key);
            dumped.insert(key.clone(), item(self, value, &at(loc, key.as_str())));
        }
        dumped
    }

    /// See [`boolean`]; `true` stands in when the value is refused.
    fn boolean(&mut self, value: &Value, loc: Vec<Value>) -> bool {
        const TRUE: [&str; 6] = ["1", "t", "y", "on", "yes", "true"];
        const FALSE: [&str; 6] = ["0", "f", "n", "no", "off", "false"];
        let one_of = |word: &str, words: &[&str]| {
            words.iter().any(|w| word.eq_ignore_ascii_case(w))
        };
        let is = |number: &Number, n: u8| same_number(number, &Number::from(n));
        let (kind, msg) = match value {
            Value::Bool(flag) => return *flag,
            Value::Number(number) if is(number, 0) => return false,
            Value::Number(number) if is(number, 1) => return true,
            Value::String(word) if one_of(word, &TRUE) => return true,
            Value::String(word) if one_of(word, &FALSE) => return false,
            Value::String(_) | Value::Number(_) => (
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input",
            ),
            _ => ("bool_type", "Input should be a valid boolean"),
        };
        self.fail(kind, loc, msg, value);
        true
    }

    fn finish<T>(self, value: T) -> Result<T, Vec<ValidationIssue>> {
        if self.issues.is_empty() {
            Ok(value)
        } else {
            Err(self.issues)
        }
    }
}

/// pydantic's `model_fields_set`: which of the declared `fields` the payload named.
fn fields_set(
    object: &Map<String, Value>,
    fields: &[&'static str],
) -> BTreeSet<&'static str> {
    let named = fields.iter().filter(|field| object.contains_key(**field));
    named.copied().collect()
}

/// A payload stored in a row, validated as the forms' are.
fn from_stored<T>(
    value: &Value,
    validate: fn(&mut Validation, &Value, &[Value]) -> T,
) -> Result<T, ApiError> {
    let mut validation = Validation::default();
    let payload = validate(&mut validation, value, &[]);
    validation
        .finish(payload)
        .map_err(|issues| stored_invalid(&issues))
}

/// A row that does not validate fails the request, as the Python twin's response does.
fn stored_invalid(issues: &[ValidationIssue]) -> ApiError {
    tracing::error!(?issues, "a stored model does not validate");
    ApiError::status(StatusCode::INTERNAL_SERVER_ERROR)
}

/// pydantic's lax `bool`: booleans, 0 and 1, and words such as "yes", "off" or "t".
///
/// # Errors
/// A 422 at `loc`: `bool_parsing` for a number or word pydantic cannot read,
/// `bool_type` for anything else.
pub fn boolean(value: &Value, loc: Vec<Value>) -> Result<bool, ApiError> {
    let mut validation = Validation::default();
    let flag = validation.boolean(value, loc);
    validation.finish(flag).map_err(ApiError::Validation)
}

// --8<-- [start:controls]
/// A control key becomes a JavaScript object key in the browser.
const CONTROL_KEY: Pattern = Pattern {
    text: r"^(?!(?:constructor|prototype)\Z)[a-zA-Z][a-zA-Z0-9_-]*\Z",
    fits: |key| {
        let mut chars = key.chars();
        chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            && !matches!(key, "constructor" | "prototype")
    },
};

/// `ModelControlOption`: a label and the parameters the option sets.
fn control_option(validation: &mut Validation, value: &Value, loc: &[Value]) -> Value {
    let Some(object) = validation.model(value, loc) else {
        return Value::Null;
    };
    let label = validation.required_string(object, "label", loc, Some(NOT_BLANK));
    let params =
        validation.required(object, "params", loc, |validation, params, loc| {
            validation.dict(params, loc).cloned().unwrap_or_default()
        });
    json!({"label": label, "params": params})
}

/// `ModelControl`: a menu or slider in the chat UI; each option is a set of parameters.
///
/// The dump leaves out the default display and the empty description and default.
fn control(validation: &mut Validation, value: &Value, loc: &[Value]) -> Value {
    let Some(object) = validation.model(value, loc) else {
        return Value::Null;
    };
    let found = validation.issues.len();
    let slider = match object.get("display") {
        None => false,
        Some(Value::String(display)) if display == "menu" || display == "slider" => {
            display == "slider"
        }
        Some(display) => {
            let msg = "Input should be 'menu' or 'slider'";
            validation.fail("literal_error", at(loc, "display"), msg, display);
            false
        }
    };
    let label = validation.required_string(object, "label", loc, Some(NOT_BLANK));
    let description = validation.optional_string(object, "description", loc);
    let default = validation.optional_string(object, "default", loc);
    let options =
        validation.required(object, "options", loc, |validation, options, loc| {
            let dumped = validation.keyed(options, &loc, control_option);
            if options.as_object().is_some_and(Map::is_empty) {
                let msg =
                    "Dictionary should have at least 1 item after validation, not 0";
                validation.fail("too_short", loc, msg, options);
            }
            dumped
        });
    // The cross-field checks run only on a control whose fields are all valid.
    if validation.issues.len() == found {
        let incoherent = if slider && options.len() < 2 {
            Some("A slider needs at least two options.")
        } else if default
            .as_ref()
            .is_some_and(|name| !options.contains_key(name))
        {
            Some("Default must name an approved option.")
        } else {
            None
        };
        if let Some(reason) = incoherent {
            let msg = format!("Value error, {reason}");
            validation.fail("value_error", loc.to_vec(), msg, value);
        }
    }
    let mut dumped = Map::new();
    if slider {
        dumped.insert("display".into(), json!("slider"));
    }
    dumped.insert("label".into(), json!(label));
    if let Some(description) = description {
        dumped.insert("description".into(), json!(description));
    }
    if let Some(default) = default {
        dumped.insert("default".into(), json!(default));
    }
    dumped.insert("options".into(), Value::Object(options));
    Value::Object(dumped)
}
// --8<-- [end:controls]

// --8<-- [start:payloads]
// --8<-- [start:params]
/// Inference parameters (system prompt, temperature…), any key allowed.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ModelParams {
    /// Menus and sliders for the chat UI, each as its validated JSON, in the order sent.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub model_controls: Map<String, Value>,
    /// Every other parameter, as sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// Whether the payload named `model_controls`.
    #[serde(skip)]
    pub controls_sent: bool,
}

impl ModelParams {
    fn validate(validation: &mut Validation, value: &Value, loc: &[Value]) -> Self {
        let Some(object) = validation.model(value, loc) else {
            return Self::default();
        };
        let controls = object.get("model_controls");
        Self {
            model_controls: controls.map_or_else(Map::new, |controls| {
                validation.keyed(controls, &at(loc, "model_controls"), control)
            }),
            extra: without(object, &["model_controls"]),
            controls_sent: controls.is_some(),
        }
    }

    /// The parameters stored in a row, validated as the form's are.
    ///
    /// # Errors
    /// A 500: the row holds what no form would have stored.
    pub fn from_stored(value: &Value) -> Result<Self, ApiError> {
        from_stored(value, Self::validate)
    }
}
// --8<-- [end:params]

/// `ModelVoice`: the voice the model speaks with.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ModelVoice {
    /// A voice name: one word of 1 to 200 characters.
    pub voice: Option<String>,
}

impl ModelVoice {
    fn validate(
        validation: &mut Validation,
        object: &Map<String, Value>,
        loc: &[Value],
    ) -> Self {
        let voice = validation.optional_string(object, "voice", loc);
        if let Some(name) = &voice {
            let voice_loc = at(loc, "voice");
            let length = name.chars().count();
            if length < 1 {
                let msg = "String should have at least 1 character";
                validation.fail("string_too_short", voice_loc, msg, &json!(name));
            } else if length > 200 {
                let msg = "String should have at most 200 characters";
                validation.fail("string_too_long", voice_loc, msg, &json!(name));
            } else {
                validation.matches(ONE_WORD, voice_loc, name);
            }
        }
        Self { voice }
    }
}

/// `ModelMeta`'s declared fields; any other key is kept as sent.
const META_FIELDS: [&str; 8] = [
    "profile_image_url",
    "background_image_url",
    "description",
    "i18n",
    "capabilities",
    "knowledge",
    "voice",
    "voice_avatar",
];

/// Display metadata; clients store more keys here, which are kept.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ModelMeta {
    /// An avatar URL; an unusable one is dropped, not refused, so old models still load.
    pub profile_image_url: Option<String>,
    /// Only an internal file may be a background.
    pub background_image_url: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// Translations of the name and description.
    pub i18n: Option<Map<String, Value>>,
    /// What the model can do (vision, tools…).
    pub capabilities: Option<Map<String, Value>>,
    /// Attached files and collections, without their extracted text.
    pub knowledge: Option<Vec<Value>>,
    /// The voice the model speaks with.
    pub voice: Option<ModelVoice>,
    /// An avatar or animation for voice mode.
    pub voice_avatar: Option<Map<String, Value>>,
    /// The keys clients add (`tags`, `hidden`…), in the order sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
    /// The declared fields the payload named.
    #[serde(skip)]
    pub fields_set: BTreeSet<&'static str>,
}

impl ModelMeta {
    fn validate(validation: &mut Validation, value: &Value, loc: &[Value]) -> Self {
        let Some(object) = validation.model(value, loc) else {
            return Self::default();
        };
        let mut object = object.clone();
        if let Some(tags) = object.get_mut("tags") {
            *tags = normalize_tags(tags);
        }
        let background = |validation: &mut Validation, url: &Value, loc| match url {
            Value::String(url) if FILE_URL.is_match(url) => Some(url.clone()),
            _ => {
                let msg = "Value error, Invalid background image URL: must reference an \
                           internal file.";
                validation.fail("value_error", loc, msg, url);
                None
            }
        };
        let background_image_url =
            validation.optional(&object, "background_image_url", loc, background);
        let description = validation.optional_string(&object, "description", loc);
        let i18n = validation.optional_dict(&object, "i18n", loc);
        let capabilities = validation.optional_dict(&object, "capabilities", loc);
        let knowledge =
            validation.optional(&object, "knowledge", loc, |validation, items, loc| {
                let items = validation.list(items, loc)?;
                Some(items.iter().map(strip_content).collect())
            });
        let voice =
            validation.optional(&object, "voice", loc, |validation, voice, loc| {
                let voice = validation.model(voice, &loc)?;
                Some(ModelVoice::validate(validation, voice, &loc))
            });
        Self {
            profile_image_url: object
                .get("profile_image_url")
                .and_then(Value::as_str)
                .filter(|url| validate_image_url(url).is_ok())
                .map(str::to_owned),
            background_image_url,
            description,
            i18n,
            capabilities,
            knowledge,
            voice,
            voice_avatar: validation.optional_dict(&object, "voice_avatar", loc),
            extra: without(&object, &META_FIELDS),
            fields_set: fields_set(&object, &META_FIELDS),
        }
    }

    /// The metadata stored in a row, validated as the form's is.
    ///
    /// # Errors
    /// A 500: the row holds what no form would have stored.
    pub fn from_stored(value: &Value) -> Result<Self, ApiError> {
        from_stored(value, Self::validate)
    }
}

/// `object` without the `keys`, in its order.
fn without(object: &Map<String, Value>, keys: &[&str]) -> Map<String, Value> {
    let mut rest = object.clone();
    rest.retain(|key, _| !keys.contains(&key.as_str()));
    rest
}

/// A `model` row as the API returns it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelModel {
    /// The `model_history` entry the model runs.
    pub version_id: Option<String>,
    /// The id chats name.
    pub id: String,
    /// The owner.
    pub user_id: String,
    /// The provider model this one presets.
    pub base_model_id: Option<String>,
    /// The display name.
    pub name: String,
    /// Validated, with their defaults.
    pub params: ModelParams,
    /// Validated, with their defaults.
    pub meta: ModelMeta,
    /// Who else may read or change it, from upstream's `access_grant` table.
    pub access_grants: Vec<AccessGrant>,
    /// Whether chats may use the model.
    pub is_active: bool,
    /// Seconds since the epoch.
    pub updated_at: i64,
    /// Seconds since the epoch.
    pub created_at: i64,
}

/// The body of `/create` and `/model/update`; unknown keys are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelForm {
    /// Recorded with the history entry the form creates.
    pub commit_message: Option<String>,
    /// One word; the update form names the model to change with it.
    pub id: String,
    /// The provider model to preset.
    pub base_model_id: Option<String>,
    /// The display name.
    pub name: String,
    /// Display metadata.
    pub meta: ModelMeta,
    /// Inference parameters.
    pub params: ModelParams,
    /// Whether chats may use the model.
    pub is_active: bool,
    /// Who else may use the model, as sent; stored (normalised) on create only, as
    /// upstream's update leaves a model's grants as they are.
    pub access_grants: Vec<Value>,
    /// The fields the body named.
    pub fields_set: BTreeSet<&'static str>,
}

const FORM_FIELDS: [&str; 8] = [
    "commit_message",
    "id",
    "base_model_id",
    "name",
    "meta",
    "params",
    "access_grants",
    "is_active",
];

impl ModelForm {
    /// The body cleaned by `json_safe`, then validated as pydantic validates it.
    ///
    /// # Errors
    /// A 422 listing every field that does not fit.
    pub fn validate(body: Value) -> Result<Self, ApiError> {
        let body = json_safe(body);
        let loc = [json!("body")];
        let mut validation = Validation::default();
        let Some(object) = validation.model(&body, &loc) else {
            return Err(ApiError::Validation(validation.issues));
        };
        let commit_message = validation.optional_string(object, "commit_message", &loc);
        let id = validation.required_string(object, "id", &loc, Some(ONE_WORD));
        let base_model_id = validation.optional_string(object, "base_model_id", &loc);
        let name = validation.required_string(object, "name", &loc, None);
        let meta =
            validation.required(object, "meta", &loc, |validation, meta, loc| {
                ModelMeta::validate(validation, meta, &loc)
            });
        let params =
            validation.required(object, "params", &loc, |validation, params, loc| {
                ModelParams::validate(validation, params, &loc)
            });
        let access_grants = validation.optional(
            object,
            "access_grants",
            &loc,
            |validation, grants, loc| {
                let grants = validation.list(grants, loc.clone())?;
                for (index, grant) in grants.iter().enumerate() {
                    validation.dict(grant, at(&loc, index));
                }
                Some(grants.clone())
            },
        );
        let is_active = object
            .get("is_active")
            .is_none_or(|value| validation.boolean(value, at(&loc, "is_active")));
        let form = Self {
            commit_message,
            id,
            base_model_id,
            name,
            meta,
            params,
            is_active,
            access_grants: access_grants.unwrap_or_default(),
            fields_set: fields_set(object, &FORM_FIELDS),
        };
        validation.finish(form).map_err(ApiError::Validation)
    }
}

/// The body of `/model/delete`.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelIdForm {
    /// The model to delete.
    pub id: String,
}

impl ModelIdForm {
    /// The body cleaned by `json_safe`, then validated.
    ///
    /// # Errors
    /// A 422 when `id` is missing or not a string.
    pub fn validate(body: Value) -> Result<Self, ApiError> {
        let body = json_safe(body);
        let loc = [json!("body")];
        let mut validation = Validation::default();
        let id = match validation.model(&body, &loc) {
            Some(object) => validation.required_string(object, "id", &loc, None),
            None => String::new(),
        };
        validation.finish(Self { id }).map_err(ApiError::Validation)
    }
}

/// A model's owner, as the workspace list shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelOwner {
    /// The user's id.
    pub id: String,
    /// The display name.
    pub name: Option<String>,
    /// `pending`, `user` or `admin`.
    pub role: Option<String>,
    /// The address.
    pub email: Option<String>,
}
// --8<-- [end:payloads]

/// Tags as `[{"name": …}]`, from names or objects; blanks and junk dropped.
#[must_use]
pub fn normalize_tags(tags: &Value) -> Value {
    let Value::Array(tags) = tags else {
        return json!([]);
    };
    let names = tags.iter().filter_map(|tag| match tag {
        Value::Object(tag) => tag.get("name").and_then(Value::as_str),
        other => other.as_str(),
    });
    names
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(|name| json!({"name": name}))
        .collect()
}

/// Attached files may carry their whole extracted text; it is not kept.
#[must_use]
pub fn strip_content(item: &Value) -> Value {
    let mut item = item.clone();
    if let Some(Value::Object(data)) = item.get_mut("data") {
        data.retain(|key, _| key != "content");
    }
    if let Some(Value::Object(data)) =
        item.get_mut("file").and_then(|file| file.get_mut("data"))
    {
        data.retain(|key, _| key != "content");
    }
    item
}

/// The columns a form writes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ModelData {
    /// The model's id.
    pub id: String,
    /// The provider model it presets.
    pub base_model_id: Option<String>,
    /// The display name.
    pub name: String,
    /// The dumped `ModelMeta`.
    pub meta: Map<String, Value>,
    /// The dumped `ModelParams`.
    pub params: Map<String, Value>,
    /// Whether chats may use the model.
    pub is_active: bool,
}

/// The object a `Serialize` payload dumps to.
fn dump(payload: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(payload).expect("a payload serialises") {
        Value::Object(object) => object,
        _ => Map::new(),
    }
}

/// The columns a form writes; a computed variables schema is never stored.
#[must_use]
pub fn model_data(form: &ModelForm) -> ModelData {
    let mut meta = dump(&form.meta);
    meta.retain(|key, _| key != "chat_variables_schema");
    ModelData {
        id: form.id.clone(),
        base_model_id: form.base_model_id.clone(),
        name: form.name.clone(),
        meta,
        params: dump(&form.params),
        is_active: form.is_active,
    }
}

/// Python's `value or {}`: null, false, 0, "", [] and {} read as `{}`.
#[must_use]
pub fn or_empty(value: Option<&Value>) -> Value {
    value
        .filter(|value| truthy(value))
        .cloned()
        .unwrap_or_else(|| json!({}))
}

/// The model with this id.
///
/// # Errors
/// The database failed.
pub async fn get_model(db: &Db, model_id: &str) -> Result<Option<Model>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM model m WHERE m.id = $1");
    let row = sqlx::query(&sql)
        .bind(model_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(Model::from_row).transpose()
}

/// Those of `ids` that have a row `reader` may read: one they own or a read grant
/// shares with them; any row for `None`, an admin.
///
/// # Errors
/// The database failed.
pub async fn readable_model_ids(
    db: &Db,
    ids: &[&str],
    reader: Option<&Principal>,
) -> Result<HashSet<String>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut binds = Binds::default();
    let mut conditions = vec![format!("m.id IN ({})", binds.list(ids.iter().copied()))];
    if let Some(reader) = reader {
        conditions.push(readable_by(&mut binds, reader));
    }
    let sql = format!(
        "SELECT m.id FROM model m WHERE {}",
        conditions.join(" AND ")
    );
    let rows = binds.query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(|row| row.try_get(0)).collect()
}

/// SQL over `model m`: rows `reader` owns or a read grant shares with them.
fn readable_by(binds: &mut Binds, reader: &Principal) -> String {
    let owner = binds.add(reader.user_id.as_str());
    let granted = granted(binds, RESOURCE, "m.id", reader);
    format!("(m.user_id = {owner} OR {granted})")
}

/// Every workspace model, in the database's order.
///
/// # Errors
/// The database failed.
pub async fn get_all_models(db: &Db) -> Result<Vec<Model>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM model m");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(Model::from_row).collect()
}

/// The row with its grants as the API returns it, its JSON validated with the forms'
/// rules.
///
/// # Errors
/// A 500 when the row does not validate: a column the API requires is empty, or the
/// stored JSON breaks the forms' rules.
pub fn to_response(
    model: &Model,
    access_grants: Vec<AccessGrant>,
) -> Result<ModelModel, ApiError> {
    Ok(ModelModel {
        version_id: model.version_id.clone(),
        id: model.id.clone(),
        user_id: required(model.user_id.clone())?,
        base_model_id: model.base_model_id.clone(),
        name: required(model.name.clone())?,
        params: ModelParams::from_stored(
            model.params.as_ref().unwrap_or(&Value::Null),
        )?,
        meta: ModelMeta::from_stored(model.meta.as_ref().unwrap_or(&Value::Null))?,
        access_grants,
        is_active: model.is_active,
        updated_at: required(model.updated_at)?,
        created_at: required(model.created_at)?,
    })
}

/// One row as the API returns it, its grants read with it.
///
/// # Errors
/// The database failed, or the row does not validate (a 500).
pub async fn model_response(db: &Db, model: &Model) -> Result<ModelModel, ApiError> {
    let mut grants = grants_of(db, RESOURCE, &[&model.id]).await?;
    to_response(model, grants.remove(&model.id).unwrap_or_default())
}

/// A column the API requires, which a row written by hand may lack.
fn required<T>(value: Option<T>) -> Result<T, ApiError> {
    value.ok_or_else(|| stored_invalid(&[]))
}

// --8<-- [start:insert]
/// Store the model with its first history entry, which it then runs, and `grants`
/// as its only grants.
///
/// # Errors
/// The database failed; nothing was stored.
pub async fn insert_model(
    db: &Db,
    form: &ModelForm,
    user_id: &str,
    grants: &[Grant],
) -> Result<Model, sqlx::Error> {
    let data = model_data(form);
    let now = now();
    let mut tx = db.pool.begin().await?;
    let version = model_history::add_entry(
        db,
        &mut tx,
        &form.id,
        &json!(data),
        user_id,
        None,
        form.commit_message.as_deref(),
    )
    .await?;
    let model = Model {
        id: data.id,
        user_id: Some(user_id.to_owned()),
        base_model_id: data.base_model_id,
        name: Some(data.name),
        params: Some(Value::Object(data.params)),
        meta: Some(Value::Object(data.meta)),
        updated_at: Some(now),
        created_at: Some(now),
        is_active: data.is_active,
        version_id: Some(version),
    };
    sqlx::query(
        "INSERT INTO model (id, user_id, base_model_id, name, params, meta, updated_at,
         created_at, is_active, version_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9)",
    )
    .bind(&model.id)
    .bind(user_id)
    .bind(&model.base_model_id)
    .bind(&model.name)
    .bind(model.params.as_ref().map(json_text))
    .bind(model.meta.as_ref().map(json_text))
    .bind(now)
    .bind(model.is_active)
    .bind(&model.version_id)
    .execute(&mut *tx)
    .await?;
    replace_grants(&mut tx, RESOURCE, &model.id, grants).await?;
    tx.commit().await?;
    Ok(model)
}
// --8<-- [end:insert]

/// Write the form over the model; a changed configuration is a new version.
///
/// False when another writer moved the model to a new version meanwhile.
///
/// # Errors
/// The database failed, or the stored row does not validate (a 500); nothing changed.
pub async fn update_model(
    db: &Db,
    model: &Model,
    form: &ModelForm,
    user_id: &str,
) -> Result<bool, ApiError> {
    let data = model_data(form);
    let stored = json!({
        "name": model.name,
        "base_model_id": model.base_model_id,
        "params": ModelParams::from_stored(&or_empty(model.params.as_ref()))?,
        "meta": ModelMeta::from_stored(&or_empty(model.meta.as_ref()))?,
    });
    let data_json = json!(data);
    let mut tx = db.pool.begin().await?;
    let changed = !json_equal(
        &model_history::snapshot(&data_json),
        &model_history::snapshot(&stored),
    );
    let version = if changed {
        let parent = model.version_id.as_deref();
        let message = form.commit_message.as_deref();
        let entry = model_history::add_entry(
            db, &mut tx, &model.id, &data_json, user_id, parent, message,
        );
        Some(entry.await?)
    } else {
        None
    };
    let mut count = 5;
    let mut next = || {
        count += 1;
        format!("${count}")
    };
    let mut assignments = vec![
        "base_model_id = $1, name = $2, params = $3, meta = $4, updated_at = $5"
            .to_owned(),
    ];
    // A form that does not mention `is_active` must not re-enable a disabled model.
    let is_active = form
        .fields_set
        .contains("is_active")
        .then_some(data.is_active);
    if is_active.is_some() {
        assignments.push(format!("is_active = {}", next()));
    }
    if version.is_some() {
        assignments.push(format!("version_id = {}", next()));
    }
    let same_model = format!("id = {}", next());
    // SQL's `=` never matches NULL: a row Open WebUI wrote without a version needs IS.
    let same_version = match model.version_id {
        Some(_) => format!("version_id = {}", next()),
        None => "version_id IS NULL".to_owned(),
    };
    let sql = format!(
        "UPDATE model SET {} WHERE {same_model} AND {same_version}",
        assignments.join(", ")
    );
    let mut query = sqlx::query(&sql)
        .bind(&data.base_model_id)
        .bind(&data.name)
        .bind(json_text(&Value::Object(data.params)))
        .bind(json_text(&Value::Object(data.meta)))
        .bind(now());
    if let Some(is_active) = is_active {
        query = query.bind(is_active);
    }
    if let Some(version) = &version {
        query = query.bind(version);
    }
    query = query.bind(&model.id);
    if let Some(current) = &model.version_id {
        query = query.bind(current);
    }
    let result = query.execute(&mut *tx).await?;
    if result.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(false);
    }
    tx.commit().await?;
    Ok(true)
}

/// Switch the model on or off.
///
/// # Errors
/// The database failed; the model is unchanged.
pub async fn toggle_model(db: &Db, model: &mut Model) -> Result<(), sqlx::Error> {
    let now = now();
    sqlx::query("UPDATE model SET is_active = $1, updated_at = $2 WHERE id = $3")
        .bind(!model.is_active)
        .bind(now)
        .bind(&model.id)
        .execute(&db.pool)
        .await?;
    model.is_active = !model.is_active;
    model.updated_at = Some(now);
    Ok(())
}

/// The model, its grants and its history; nothing else refers to it.
///
/// # Errors
/// The database failed; nothing was removed.
pub async fn delete_model(db: &Db, model: &Model) -> Result<(), sqlx::Error> {
    let mut tx = db.pool.begin().await?;
    delete_grants(&mut tx, RESOURCE, &[&model.id]).await?;
    for sql in [
        "DELETE FROM model_history WHERE model_id = $1",
        "DELETE FROM model WHERE id = $1",
    ] {
        sqlx::query(sql).bind(&model.id).execute(&mut *tx).await?;
    }
    tx.commit().await
}

/// How `value` can appear inside stored JSON text: raw or \u-escaped, as Python's
/// `json.dumps` writes it with and without `ensure_ascii`.
#[must_use]
pub fn json_spellings(value: &str) -> BTreeSet<String> {
    let quoted = Value::String(value.to_owned()).to_string();
    let raw = &quoted[1..quoted.len() - 1];
    let mut ascii = String::with_capacity(raw.len());
    for c in raw.chars() {
        if (' '..='~').contains(&c) {
            ascii.push(c);
        } else {
            let mut units = [0; 2];
            let units = c.encode_utf16(&mut units);
            ascii.extend(units.iter().map(|unit| format!("\\u{unit:04x}")));
        }
    }
    BTreeSet::from([raw.to_owned(), ascii])
}

/// What the workspace list asks for.
#[derive(Clone, Copy, Debug)]
pub struct ModelSearch<'a> {
    /// The caller.
    pub user_id: &'a str,
    /// Who reads: only models they own or a grant shares with them are listed;
    /// `None` for an admin, who reads every user's models.
    pub reader: Option<&'a Principal>,
    /// Part of the name, base model, or owner's name, email or username.
    pub query: Option<&'a str>,
    /// `created` (the caller's) or `shared` (others').
    pub view_option: Option<&'a str>,
    /// A tag, or any other string, in the metadata.
    pub tag: Option<&'a str>,
    /// `name`, `created_at` or `updated_at`; anything else does not sort.
    pub order_by: Option<&'a str>,
    /// `asc`; anything else sorts descending.
    pub direction: Option<&'a str>,
    /// From 1.
    pub page: i64,
}

/// One row of the workspace list: the model and its owner, if the owner still exists.
pub type ListedModel = (Model, Option<ModelOwner>);

// --8<-- [start:search]
/// One page of presets (models with a base model) with their owners, and the total.
///
/// Admins see every model; others those they own or may read. As upstream does,
/// a request with any filter keeps the database's order unless it sorts.
///
/// # Errors
/// The database failed.
pub async fn search_models(
    db: &Db,
    search: &ModelSearch<'_>,
) -> Result<(Vec<ListedModel>, i64), sqlx::Error> {
    let mut binds = Binds::default();
    let mut conditions = vec!["m.base_model_id IS NOT NULL".to_owned()];
    if let Some(query) = given(search.query) {
        let pattern = binds.add(format!("%{query}%"));
        let columns = [
            "m.name",
            "m.base_model_id",
            "u.name",
            "u.email",
            "u.username",
        ];
        let matches = columns.map(|column| ilike(db, column, &pattern));
        conditions.push(format!("({})", matches.join(" OR ")));
    }
    let owner = match search.view_option {
        Some("created") => Some("="),
        Some("shared") => Some("!="),
        _ => None,
    };
    if let Some(operator) = owner {
        let user_id = binds.add(search.user_id);
        conditions.push(format!("m.user_id {operator} {user_id}"));
    }
    if let Some(reader) = search.reader {
        conditions.push(readable_by(&mut binds, reader));
    }
    if let Some(tag) = given(search.tag) {
        conditions.push(tag_filter(db, tag, &mut binds));
    }
    let filters = [
        search.query,
        search.view_option,
        search.tag,
        search.order_by,
        search.direction,
    ];
    let filtered = search.reader.is_some()
        || filters.into_iter().any(|value| given(value).is_some());
    let order = match search
        .order_by
        .filter(|column| SORT_COLUMNS.contains(column))
    {
        Some(column) => {
            let direction = if search.direction == Some("asc") {
                "ASC"
            } else {
                "DESC"
            };
            format!("ORDER BY m.{column} {direction}")
        }
        None if !filtered => "ORDER BY m.created_at DESC".to_owned(),
        None => String::new(),
    };
    let from = format!(
        r#"FROM model m LEFT OUTER JOIN "user" u ON u.id = m.user_id WHERE {}"#,
        conditions.join(" AND ")
    );
    let count_sql = format!("SELECT COUNT(*) {from}");
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
    for value in &binds.0 {
        count = count.bind(value);
    }
    let total = count.fetch_one(&db.pool).await?;
    let (offset, limit) = one_page(search.page, MODELS_PER_PAGE);
    let n = binds.0.len();
    let sql = format!(
        "SELECT {COLUMNS}, u.id AS owner_id, u.name AS owner_name, u.role AS owner_role,
         u.email AS owner_email {from} {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let query = binds.query(&sql).bind(limit).bind(offset);
    let rows = query.fetch_all(&db.pool).await?;
    let listed = rows
        .iter()
        .map(|row| {
            let owner = match row.try_get::<Option<String>, _>("owner_id")? {
                Some(id) => Some(ModelOwner {
                    id,
                    name: row.try_get("owner_name")?,
                    role: row.try_get("owner_role")?,
                    email: row.try_get("owner_email")?,
                }),
                None => None,
            };
            Ok((Model::from_row(row)?, owner))
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((listed, total))
}
// --8<-- [end:search]

/// A parameter that was sent and is not empty: Python's truth value of a string.
fn given(value: Option<&str>) -> Option<&str> {
    value.filter(|value| !value.is_empty())
}

/// `column ILIKE pattern`, which `SQLAlchemy` writes as `lower() LIKE lower()` on SQLite.
fn ilike(db: &Db, column: &str, pattern: &str) -> String {
    match db.dialect {
        Dialect::Sqlite => format!("lower({column}) LIKE lower({pattern})"),
        Dialect::Postgres => format!("{column} ILIKE {pattern}"),
    }
}

/// `"tag"` inside the meta text; case-insensitive except for non-ASCII on SQLite,
/// whose `LOWER()` only folds ASCII.
fn tag_filter(db: &Db, tag: &str, binds: &mut Binds) -> String {
    let (text, tag) = if db.dialect != Dialect::Sqlite || tag.is_ascii() {
        ("lower(CAST(m.meta AS TEXT))", tag.to_lowercase())
    } else {
        ("CAST(m.meta AS TEXT)", tag.to_owned())
    };
    let contains = json_spellings(&tag).into_iter().map(|spelling| {
        let pattern =
            binds.add(format!("%{}%", like_escape(&format!("\"{spelling}\""))));
        format!("{text} LIKE {pattern} ESCAPE '/'")
    });
    format!("({})", contains.collect::<Vec<_>>().join(" OR "))
}

/// `text` matched literally by `LIKE … ESCAPE '/'`, as `SQLAlchemy`'s `autoescape` does.
fn like_escape(text: &str) -> String {
    text.replace('/', "//")
        .replace('%', "/%")
        .replace('_', "/_")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::{
        CONTROL_KEY, ModelForm, ModelMeta, boolean, json_spellings, like_escape,
        model_data, normalize_tags, or_empty, strip_content,
    };
    use crate::errors::ApiError;
    use crate::utils::misc::json_equal;

    fn form(extra: &Value) -> Value {
        let mut body = json!({"id": "team/a", "name": "A", "meta": {}, "params": {}});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    }

    fn issues(body: Value) -> Vec<(String, Value)> {
        match ModelForm::validate(body) {
            Err(ApiError::Validation(issues)) => issues
                .into_iter()
                .map(|issue| (issue.kind, Value::Array(issue.loc)))
                .collect(),
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn tags_become_objects_without_blanks_or_junk() {
        let tags = json!(["Alpha", {"name": " Beta "}, "", "  ", 5, {"x": 1}, null]);
        assert_eq!(
            normalize_tags(&tags),
            json!([{"name": "Alpha"}, {"name": "Beta"}])
        );
        assert_eq!(normalize_tags(&json!("Alpha")), json!([]));
    }

    #[test]
    fn extracted_text_is_dropped_from_knowledge() {
        let item = json!({"type": "file", "data": {"content": "x", "k": 1},
                          "file": {"data": {"content": "y"}, "meta": 2}});
        let stripped = json!({"type": "file", "data": {"k": 1},
                              "file": {"data": {}, "meta": 2}});
        assert_eq!(strip_content(&item), stripped);
        assert_eq!(strip_content(&json!("text")), json!("text"));
    }

    #[test]
    fn a_tag_is_searched_raw_and_escaped() {
        let spellings: Vec<_> = json_spellings("été\"").into_iter().collect();
        assert_eq!(spellings, ["\\u00e9t\\u00e9\\\"", "été\\\""]);
        let emoji: Vec<_> = json_spellings("😀").into_iter().collect();
        assert_eq!(emoji, ["\\ud83d\\ude00", "😀"]);
        assert_eq!(json_spellings("plain").len(), 1);
        assert_eq!(like_escape("50%_a/b"), "50/%/_a//b");
    }

    #[test]
    fn control_keys_are_javascript_safe() {
        assert!((CONTROL_KEY.fits)("effort_level-2"));
        for key in [
            "1bad",
            "has space",
            "ab\n",
            "constructor",
            "prototype",
            "",
            "é",
        ] {
            assert!(!(CONTROL_KEY.fits)(key), "{key:?}");
        }
    }

    #[test]
    fn every_problem_is_reported_in_field_order() {
        let found = issues(json!({"name": 1, "meta": "x", "is_active": "maybe"}));
        let expected = [
            ("missing", json!(["body", "id"])),
            ("string_type", json!(["body", "name"])),
            ("model_attributes_type", json!(["body", "meta"])),
            ("missing", json!(["body", "params"])),
            ("bool_parsing", json!(["body", "is_active"])),
        ];
        let expected: Vec<_> = expected.map(|(k, l)| (k.to_owned(), l)).into();
        assert_eq!(found, expected);
    }

    #[test]
    fn controls_are_checked_and_dumped_without_defaults() {
        let controls = json!({"effort": {"label": "Effort", "display": "slider",
            "options": {"low": {"label": "Low", "params": {}}}}});
        let found = issues(form(&json!({"params": {"model_controls": controls}})));
        let loc = json!(["body", "params", "model_controls", "effort"]);
        assert_eq!(found, [("value_error".to_owned(), loc)]);
        let menu = json!({"m": {"label": "M", "display": "menu", "description": null,
            "options": {"b": {"label": "B", "params": {}, "junk": 1}}}});
        let parsed =
            ModelForm::validate(form(&json!({"params": {"model_controls": menu}})));
        let params = model_data(&parsed.unwrap()).params;
        let dumped = json!({"model_controls": {"m": {"label": "M",
            "options": {"b": {"label": "B", "params": {}}}}}});
        assert_eq!(Value::Object(params), dumped);
    }

    #[test]
    fn meta_keeps_extra_keys_and_drops_bad_avatars() {
        let meta = json!({"profile_image_url": "/etc/passwd", "tags": ["x"], "hidden": true,
                          "voice": {"voice": "alloy", "speed": 2}});
        let parsed = ModelForm::validate(form(&json!({"meta": meta}))).unwrap();
        assert!(parsed.meta.fields_set.contains("profile_image_url"));
        assert_eq!(parsed.meta.profile_image_url, None);
        let dumped = Value::Object(model_data(&parsed).meta);
        assert_eq!(dumped["tags"], json!([{"name": "x"}]));
        assert_eq!(dumped["voice"], json!({"voice": "alloy"}));
        assert_eq!(dumped["knowledge"], Value::Null);
        assert_eq!(
            ModelMeta::from_stored(&json!({})).unwrap(),
            ModelMeta::default()
        );
    }

    #[test]
    fn booleans_are_read_as_pydantic_reads_them() {
        let loc = || vec![json!("body")];
        for (value, expected) in
            [(json!("YES"), true), (json!(0), false), (json!(1.0), true)]
        {
            assert_eq!(boolean(&value, loc()).unwrap(), expected, "{value}");
        }
        let kind = |value| match boolean(&value, loc()) {
            Err(ApiError::Validation(issues)) => issues[0].kind.clone(),
            other => panic!("expected a 422, got {other:?}"),
        };
        assert_eq!(kind(json!(2)), "bool_parsing");
        assert_eq!(kind(json!(null)), "bool_type");
    }

    #[test]
    fn comparisons_and_truth_follow_python() {
        assert!(json_equal(
            &json!({"t": 1, "l": [true]}),
            &json!({"t": 1.0, "l": [1]})
        ));
        assert!(!json_equal(&json!({"t": 1}), &json!({"t": 1.5})));
        assert_eq!(or_empty(Some(&json!([]))), json!({}));
        assert_eq!(or_empty(Some(&json!({"a": 1}))), json!({"a": 1}));
    }
}
