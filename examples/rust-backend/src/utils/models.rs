//! The models a chat can use: each connection's list, merged with workspace models.
//!
//! The twin of `reference_backend/utils/models.py`. A provider that is down or slow
//! contributes nothing within the model-list timeout; when every one fails, the last
//! list that had models is served, as upstream serves it, so one outage does not
//! empty every user's model menu.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use serde_json::{Map, Value, json};

use crate::errors::ApiError;
use crate::internal::db::Db;
use crate::internal::deps::AppState;
use crate::models::access_grants::{AccessGrant, grants_of};
use crate::models::config;
use crate::models::models::{self as workspace, Model, RESOURCE, normalize_tags};
use crate::utils::misc::truthy;

/// The words of `OpenAI`'s own models that are not chat models.
const UNSUPPORTED_OPENAI_MODELS: [&str; 6] = [
    "babbage",
    "dall-e",
    "davinci",
    "embedding",
    "tts",
    "whisper",
];

// --8<-- [start:connections]
/// The settings' names in the API and their keys in the config table.
pub const CONFIG_KEYS: [(&str, &str); 4] = [
    ("ENABLE_OPENAI_API", "openai.enable"),
    ("OPENAI_API_BASE_URLS", "openai.api_base_urls"),
    ("OPENAI_API_KEYS", "openai.api_keys"),
    ("OPENAI_API_CONFIGS", "openai.api_configs"),
];

/// The connections as stored: seeded from the environment on the first start, then
/// whatever an admin saved.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    /// `openai.enable`: anything but a true value switches the API off.
    pub enable: bool,
    /// One base URL per connection, such as `http://host:port/v1`.
    pub urls: Vec<String>,
    /// One key per URL; an empty key sends no `Authorization`.
    pub keys: Vec<String>,
    /// Per connection, keyed by index (or, in old configs, by URL).
    pub configs: Map<String, Value>,
}

/// The strings of a JSON list; anything else reads as none.
fn strings(value: Option<Value>) -> Vec<String> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(text) => text,
            other => other.to_string(),
        })
        .collect()
}

impl Connections {
    /// The four keys, read now.
    ///
    /// # Errors
    /// The database failed.
    pub async fn load(db: &Db) -> Result<Self, ApiError> {
        let keys = CONFIG_KEYS.map(|(_, key)| key);
        let mut stored = config::get_many(db, &keys).await?;
        let mut take = |key: &str| stored.remove(key).flatten();
        Ok(Self {
            enable: take("openai.enable").is_some_and(|on| truthy(&on)),
            urls: strings(take("openai.api_base_urls")),
            keys: strings(take("openai.api_keys")),
            configs: match take("openai.api_configs") {
                Some(Value::Object(configs)) => configs,
                _ => Map::new(),
            },
        })
    }

    /// The settings of connection `idx`: by index, else by URL, else none.
    #[must_use]
    pub fn api_config(&self, idx: usize) -> Map<String, Value> {
        let by_url = self.urls.get(idx).and_then(|url| self.configs.get(url));
        self.configs
            .get(&idx.to_string())
            .or(by_url)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    }

    /// The key of connection `idx`; empty when there are fewer keys than URLs.
    #[must_use]
    pub fn key(&self, idx: usize) -> &str {
        self.keys.get(idx).map_or("", String::as_str)
    }

    /// Store one key per URL, cut or padded with empty keys, when the counts differ;
    /// upstream does this the first time it lists the models.
    ///
    /// # Errors
    /// The database failed.
    pub async fn normalize_keys(&self, db: &Db) -> Result<(), ApiError> {
        if self.keys.len() == self.urls.len() {
            return Ok(());
        }
        let keys = padded(&self.keys, self.urls.len());
        config::upsert(db, &[("openai.api_keys", json!(keys))]).await?;
        Ok(())
    }
}

/// `keys` cut or padded with empty keys to `count`.
#[must_use]
pub fn padded(keys: &[String], count: usize) -> Vec<String> {
    let mut keys = keys.to_vec();
    keys.resize(count, String::new());
    keys
}

// --8<-- [end:connections]

// --8<-- [start:cache]
/// What the process remembers between requests: upstream's `app.state` lists.
#[derive(Debug, Default)]
pub struct ModelCache {
    inner: Mutex<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    /// The connections' merged models and when they were gathered.
    provider: Option<(Instant, Arc<Vec<Value>>)>,
    /// The last base list that had models: served when every connection fails.
    base: Arc<Vec<Value>>,
    /// Every model as last listed, before access rules: what a completion resolves.
    models: Arc<Vec<Value>>,
}

impl ModelCache {
    fn with<T>(&self, read: impl FnOnce(&mut Cached) -> T) -> T {
        // A panic while holding the lock left whole values behind: keep using them.
        read(&mut self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Forget everything: the connections changed, or a caller asked to refresh.
    pub fn clear(&self) {
        self.with(|cached| *cached = Cached::default());
    }

    fn fresh_provider(&self, ttl: Option<Duration>) -> Option<Arc<Vec<Value>>> {
        self.with(|cached| {
            let (at, models) = cached.provider.as_ref()?;
            ttl.is_none_or(|ttl| at.elapsed() < ttl)
                .then(|| Arc::clone(models))
        })
    }

    /// The model with this id as last listed, if any.
    #[must_use]
    pub fn find(&self, model_id: &str) -> Option<Value> {
        self.with(|cached| find(&cached.models, model_id).cloned())
    }

    /// The provider model with this id as last gathered, however long ago.
    #[must_use]
    pub fn provider_model(&self, model_id: &str) -> Option<Value> {
        self.with(|cached| {
            let (_, models) = cached.provider.as_ref()?;
            find(models, model_id).cloned()
        })
    }

    /// Whether a list was ever built since the last clear.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.with(|cached| cached.models.is_empty())
    }
}

/// The model whose `id` is `model_id` in `models`.
#[must_use]
pub fn find<'a>(models: &'a [Value], model_id: &str) -> Option<&'a Value> {
    models
        .iter()
        .find(|model| model.get("id").and_then(Value::as_str) == Some(model_id))
}
// --8<-- [end:cache]

// --8<-- [start:all-models]
/// Whether an id from `OpenAI`'s own list names a model that cannot chat.
#[must_use]
pub fn is_unsupported_openai_model(model_id: &str) -> bool {
    UNSUPPORTED_OPENAI_MODELS
        .iter()
        .any(|word| model_id.contains(word))
}

/// One connection's `/models` reply, or `None` when it fails, is not JSON, or does
/// not answer within `timeout`.
async fn fetch_models(
    client: &reqwest::Client,
    url: &str,
    key: &str,
    timeout: Option<Duration>,
) -> Option<Value> {
    let mut request = client.get(format!("{url}/models"));
    if !key.is_empty() {
        request = request.bearer_auth(key);
    }
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    let reply = async { request.send().await?.json::<Value>().await };
    match reply.await {
        Ok(body) => Some(body),
        Err(error) => {
            tracing::warn!(%error, url, "a connection's model list failed");
            None
        }
    }
}

/// The models a connection lists, as `{"data": [...]}` or a bare list, with the
/// connection's prefix, tags, type and provider applied.
fn connection_models(reply: Value, api_config: &Map<String, Value>) -> Vec<Value> {
    let listed = match reply {
        Value::Array(models) => models,
        Value::Object(mut reply) => match reply.remove("data") {
            Some(Value::Array(models)) => models,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let prefix = api_config
        .get("prefix_id")
        .and_then(Value::as_str)
        .filter(|prefix| !prefix.is_empty());
    let tags = api_config
        .get("tags")
        .filter(|tags| tags.as_array().is_some_and(|tags| !tags.is_empty()));
    let connection_type = api_config
        .get("connection_type")
        .and_then(Value::as_str)
        .unwrap_or("external");
    let provider = api_config.get("provider").and_then(Value::as_str);
    listed
        .into_iter()
        .filter_map(|model| {
            let Value::Object(mut model) = model else {
                return None;
            };
            if model.get("name") == Some(&Value::Null) {
                model.remove("name");
            }
            if let Some(prefix) = prefix {
                let id = model
                    .get("id")
                    .or_else(|| model.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                model.insert("id".into(), json!(format!("{prefix}.{id}")));
                if let Some(name) = model.get("name").and_then(Value::as_str) {
                    let name = format!("{prefix}.{name}");
                    model.insert("name".into(), json!(name));
                }
            }
            if let Some(tags) = tags {
                model.insert("tags".into(), tags.clone());
            }
            if !connection_type.is_empty() {
                model.insert("connection_type".into(), json!(connection_type));
            }
            if let Some(provider) = provider.filter(|provider| !provider.is_empty()) {
                model.insert("provider".into(), json!(provider));
            }
            Some(Value::Object(model))
        })
        .collect()
}

/// Every enabled connection's models, gathered at once: the first connection to
/// list an id wins it, and each model records its connection as `urlIdx`.
async fn gather(state: &AppState, connections: &Connections) -> Vec<Value> {
    let timeout = state.settings.model_list_timeout;
    let replies = connections.urls.iter().enumerate().map(|(idx, url)| {
        let api_config = connections.api_config(idx);
        let key = connections.key(idx);
        async move {
            if !api_config
                .get("enable")
                .is_none_or(|on| on != &json!(false))
            {
                return None;
            }
            let listed = api_config
                .get("model_ids")
                .and_then(Value::as_array)
                .filter(|ids| !ids.is_empty());
            let reply = match listed {
                // Models named in the config are not asked for.
                Some(ids) => json!(
                    ids.iter()
                        .map(|id| json!({"id": id, "name": id, "owned_by": "openai",
                                     "openai": {"id": id}, "urlIdx": idx}))
                        .collect::<Vec<_>>()
                ),
                None => fetch_models(&state.http, url, key, timeout).await?,
            };
            Some(connection_models(reply, &api_config))
        }
    });
    let mut merged: Vec<Value> = Vec::new();
    let mut seen = HashSet::new();
    for (idx, models) in join_all(replies).await.into_iter().enumerate() {
        let is_openai = url::Url::parse(&connections.urls[idx])
            .is_ok_and(|url| url.host_str() == Some("api.openai.com"));
        for model in models.into_iter().flatten() {
            let id = model
                .get("id")
                .filter(|id| truthy(id))
                .or_else(|| model.get("name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if id.is_empty()
                || (is_openai && is_unsupported_openai_model(&id))
                || !seen.insert(id.clone())
            {
                continue;
            }
            let mut entry = model.as_object().cloned().unwrap_or_default();
            let name = entry.get("name").cloned().unwrap_or_else(|| json!(id));
            let connection_type = entry
                .get("connection_type")
                .cloned()
                .unwrap_or_else(|| json!("external"));
            let provider = entry.get("provider").cloned().unwrap_or_else(|| json!(""));
            entry.insert("name".into(), name);
            entry.insert("owned_by".into(), json!("openai"));
            entry.insert("openai".into(), model);
            entry.insert("connection_type".into(), connection_type);
            entry.insert("provider".into(), provider);
            entry.insert("urlIdx".into(), json!(idx));
            merged.push(Value::Object(entry));
        }
    }
    merged
}

/// The connections' models, reused for `MODELS_CACHE_TTL`: upstream's
/// `openai.get_all_models`. Empty when the API is off.
///
/// # Errors
/// The database failed.
pub async fn provider_models(state: &AppState) -> Result<Arc<Vec<Value>>, ApiError> {
    let connections = Connections::load(&state.db).await?;
    if !connections.enable {
        return Ok(Arc::default());
    }
    if let Some(models) = state.models.fresh_provider(state.settings.models_cache_ttl) {
        return Ok(models);
    }
    connections.normalize_keys(&state.db).await?;
    let models = Arc::new(gather(state, &connections).await);
    state
        .models
        .with(|cached| cached.provider = Some((Instant::now(), Arc::clone(&models))));
    Ok(models)
}

/// `model_controls` without what only the server needs, and the threshold: the
/// parameters a workspace model shows to everyone who may use it.
fn public_params(params: &Map<String, Value>) -> Map<String, Value> {
    let mut public = Map::new();
    if let Some(Value::Object(controls)) = params.get("model_controls") {
        if !controls.is_empty() {
            let shown: Map<String, Value> = controls
                .iter()
                .map(|(key, control)| {
                    let mut item: Map<String, Value> =
                        ["label", "description", "default", "display"]
                            .iter()
                            .filter_map(|field| {
                                Some((
                                    (*field).to_owned(),
                                    control.get(*field)?.clone(),
                                ))
                            })
                            .collect();
                    let options: Map<String, Value> = control
                        .get("options")
                        .and_then(Value::as_object)
                        .into_iter()
                        .flatten()
                        .map(|(name, option)| {
                            (name.clone(), json!({"label": option.get("label")}))
                        })
                        .collect();
                    item.insert("options".into(), Value::Object(options));
                    (key.clone(), Value::Object(item))
                })
                .collect();
            public.insert("model_controls".into(), Value::Object(shown));
        }
    }
    if let Some(threshold) = params.get("compact_token_threshold") {
        public.insert("compact_token_threshold".into(), threshold.clone());
    }
    public
}

/// A workspace row and its grants as a list entry's `info`, with only its public
/// parameters.
fn info(model: &Model, grants: Vec<AccessGrant>) -> Result<Value, ApiError> {
    let mut info = serde_json::to_value(workspace::to_response(model, grants)?)
        .unwrap_or_default();
    let params = info
        .get("params")
        .and_then(Value::as_object)
        .map(public_params)
        .unwrap_or_default();
    info["params"] = Value::Object(params);
    Ok(info)
}

/// The entry of a workspace model with a base model, shaped from that base.
fn preset_entry(model: &Model, info: Value, base: Option<&Value>) -> Value {
    let base_field = |field: &str| {
        base.and_then(|base| base.get(field))
            .filter(|value| !value.is_null())
    };
    let mut entry = json!({
        "id": model.id,
        "name": model.name,
        "object": "model",
        "created": model.created_at,
        "owned_by": base.map_or(json!("openai"), |base| {
            base.get("owned_by").cloned().unwrap_or_else(|| json!("unknown"))
        }),
        "connection_type": base_field("connection_type").cloned().unwrap_or(Value::Null),
        "preset": true,
    });
    if let Some(pipe) = base_field("pipe") {
        entry["pipe"] = pipe.clone();
    }
    if let Some(provider) = base_field("provider").filter(|provider| truthy(provider)) {
        entry["provider"] = provider.clone();
    }
    if let Some(loaded) = base_field("loaded") {
        entry["loaded"] = loaded.clone();
    }
    entry["info"] = info;
    entry
}

/// Apply the workspace rows to the provider models: a row without a base model
/// renames and describes (or, inactive, hides) the provider model of its id; an
/// active row with a base model is added as a model of its own.
fn merge_workspace(
    mut models: Vec<Value>,
    rows: &[Model],
    mut grants: HashMap<String, Vec<AccessGrant>>,
) -> Vec<Value> {
    let base_ids: HashSet<String> = models
        .iter()
        .filter_map(|model| model.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let mut presets = Vec::new();
    for row in rows {
        // Upstream skips a row its model does not validate, rather than fail the list.
        let info = match info(row, grants.remove(&row.id).unwrap_or_default()) {
            Ok(info) => info,
            Err(error) => {
                tracing::warn!(%error, model_id = %row.id, "a workspace model was skipped");
                continue;
            }
        };
        match row.base_model_id.as_deref() {
            None => {
                let Some(place) = models.iter().position(|model| {
                    model.get("id").and_then(Value::as_str) == Some(&row.id)
                }) else {
                    continue;
                };
                if row.is_active {
                    let model = &mut models[place];
                    model["name"] = json!(row.name);
                    model["info"] = info;
                } else {
                    models.remove(place);
                }
            }
            Some(base_id) if row.is_active && !base_ids.contains(&row.id) => {
                let base = find(&models, base_id);
                presets.push(preset_entry(row, info, base));
            }
            Some(_) => {}
        }
    }
    models.extend(presets);
    models
}

/// The defaults an admin set for every model: metadata a model leaves unset, and a
/// default compaction threshold.
fn apply_defaults(
    models: &mut [Value],
    metadata: Option<&Map<String, Value>>,
    params: Option<&Map<String, Value>>,
) {
    let threshold = params.and_then(|params| params.get("compact_token_threshold"));
    for model in models {
        if let Some(defaults) = metadata.filter(|defaults| !defaults.is_empty()) {
            match model.get_mut("info").and_then(Value::as_object_mut) {
                None => model["info"] = json!({"meta": defaults}),
                Some(info) => {
                    let meta = info.entry("meta").or_insert_with(|| json!({}));
                    for (key, value) in defaults {
                        if key == "capabilities" {
                            let mut merged =
                                value.as_object().cloned().unwrap_or_default();
                            if let Some(Value::Object(own)) = meta.get("capabilities") {
                                merged.extend(own.clone());
                            }
                            meta[key] = Value::Object(merged);
                        } else if meta.get(key).is_none_or(Value::is_null) {
                            meta[key] = value.clone();
                        }
                    }
                }
            }
        }
        if let Some(threshold) = threshold.filter(|threshold| !threshold.is_null()) {
            let info = model
                .as_object_mut()
                .map(|model| model.entry("info").or_insert_with(|| json!({})));
            if let Some(info) = info {
                let mut params = Map::from_iter([(
                    "compact_token_threshold".to_owned(),
                    threshold.clone(),
                )]);
                if let Some(Value::Object(own)) = info.get("params") {
                    params.extend(own.clone());
                }
                info["params"] = Value::Object(params);
            }
        }
        // This backend runs no functions: no model has actions or filters.
        model["actions"] = json!([]);
        model["filters"] = json!([]);
    }
}

/// Every model, provider and workspace, before access rules: upstream's
/// `get_all_models`. `refresh` asks every connection again.
///
/// # Errors
/// The database failed.
pub async fn all_models(
    state: &AppState,
    refresh: bool,
) -> Result<Vec<Value>, ApiError> {
    let db = &state.db;
    let stored = config::get_many(
        db,
        &[
            "models.base_models_cache",
            "models.default_metadata",
            "models.default_params",
        ],
    )
    .await?;
    let setting = |key: &str| stored.get(key).cloned().flatten();
    if refresh {
        state.models.clear();
    }
    let keep_base = setting("models.base_models_cache").is_some_and(|on| truthy(&on));
    let kept = state.models.with(|cached| {
        (keep_base && !refresh && !cached.models.is_empty() && !cached.base.is_empty())
            .then(|| Arc::clone(&cached.base))
    });
    let base = if let Some(base) = kept {
        base
    } else {
        // Upstream's base models also hold Ollama's and functions' models, which
        // this backend does not serve.
        let base = provider_models(state).await?;
        state.models.with(|cached| {
            if base.is_empty() {
                Arc::clone(&cached.base)
            } else {
                cached.base = Arc::clone(&base);
                base
            }
        })
    };
    if base.is_empty() {
        return Ok(Vec::new());
    }
    let rows = workspace::get_all_models(db).await?;
    let ids: Vec<&str> = rows.iter().map(|row| row.id.as_str()).collect();
    let grants = grants_of(db, RESOURCE, &ids).await?;
    let mut models = merge_workspace(base.as_ref().clone(), &rows, grants);
    let object = |key| setting(key).and_then(|value| value.as_object().cloned());
    apply_defaults(
        &mut models,
        object("models.default_metadata").as_ref(),
        object("models.default_params").as_ref(),
    );
    let listed = Arc::new(models.clone());
    state.models.with(|cached| cached.models = listed);
    Ok(models)
}
// --8<-- [end:all-models]

// --8<-- [start:order]
/// Each id once: the last entry wins, as chats resolve it, in the first one's place.
#[must_use]
pub fn unique(models: Vec<Value>) -> Vec<Value> {
    let mut places: HashMap<String, usize> = HashMap::new();
    let mut unique: Vec<Value> = Vec::with_capacity(models.len());
    for model in models {
        let id = model
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if let Some(&place) = places.get(&id) {
            unique[place] = model;
        } else {
            places.insert(id, unique.len());
            unique.push(model);
        }
    }
    unique
}

/// The list as the chat UI shows it: tags normalised and merged, images left out,
/// then in the admin's order when one is set, the rest by name.
#[must_use]
pub fn present(mut models: Vec<Value>, order: Option<&[Value]>) -> Vec<Value> {
    for model in &mut models {
        let mut tags = Vec::new();
        if let Some(Value::Object(meta)) =
            model.get_mut("info").and_then(|info| info.get_mut("meta"))
        {
            meta.remove("profile_image_url");
            if let Some(meta_tags) = meta.get_mut("tags") {
                *meta_tags = normalize_tags(meta_tags);
                tags.extend(meta_tags.as_array().cloned().unwrap_or_default());
            }
        }
        tags.extend(
            normalize_tags(model.get("tags").unwrap_or(&Value::Null))
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
        let mut by_name: Vec<(String, Value)> = Vec::new();
        for tag in tags {
            let name = tag["name"].as_str().unwrap_or_default().to_owned();
            match by_name.iter_mut().find(|(known, _)| *known == name) {
                Some(slot) => slot.1 = tag,
                None => by_name.push((name, tag)),
            }
        }
        model["tags"] = Value::Array(by_name.into_iter().map(|(_, tag)| tag).collect());
    }
    if let Some(order) = order.filter(|order| !order.is_empty()) {
        let rank: HashMap<&str, usize> = order
            .iter()
            .enumerate()
            .filter_map(|(rank, id)| Some((id.as_str()?, rank)))
            .collect();
        let key = |model: &Value| {
            let id = model.get("id").and_then(Value::as_str).unwrap_or_default();
            let name = model
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            (rank.get(id).copied().unwrap_or(usize::MAX), name)
        };
        models.sort_by_cached_key(key);
    }
    models
}
// --8<-- [end:order]

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn row(id: &str, base: Option<&str>, active: bool) -> Model {
        Model {
            id: id.to_owned(),
            user_id: Some("u1".to_owned()),
            base_model_id: base.map(str::to_owned),
            name: Some(format!("{id} by u1")),
            params: Some(json!({"system": "secret", "compact_token_threshold": 9})),
            meta: Some(json!({})),
            updated_at: Some(1),
            created_at: Some(1),
            is_active: active,
            version_id: None,
        }
    }

    fn ids(models: &[Value]) -> Vec<&str> {
        models
            .iter()
            .map(|model| model["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn a_connection_lists_its_models_with_its_prefix_tags_and_type() {
        let config =
            json!({"prefix_id": "p", "tags": [{"name": "t"}], "provider": "x"});
        let reply = json!({"data": [{"id": "m", "name": null}, "junk"]});
        let models = connection_models(reply, config.as_object().unwrap());
        assert_eq!(
            models,
            [json!({"id": "p.m", "tags": [{"name": "t"}],
                    "connection_type": "external", "provider": "x"})]
        );
        assert!(connection_models(json!("down"), &Map::new()).is_empty());
    }

    #[test]
    fn workspace_rows_rename_hide_or_add_models() {
        let base = vec![
            json!({"id": "a", "name": "a", "owned_by": "openai"}),
            json!({"id": "b"}),
        ];
        let unnamed = Model {
            name: None,
            ..row("d", Some("a"), true)
        };
        let rows = [
            row("a", None, true),
            row("b", None, false),
            row("c", Some("a"), true),
            unnamed,
        ];
        let models = merge_workspace(base, &rows, HashMap::new());
        assert_eq!(ids(&models), ["a", "c"]);
        assert_eq!(models[0]["name"], json!("a by u1"));
        // Only what every user of the model may see: not the system prompt.
        assert_eq!(
            models[0]["info"]["params"],
            json!({"compact_token_threshold": 9})
        );
        assert_eq!(models[1]["preset"], json!(true));
        assert_eq!(models[1]["owned_by"], json!("openai"));
    }

    #[test]
    fn the_last_model_with_an_id_is_listed_in_the_first_ones_place_in_the_set_order() {
        let models = vec![
            json!({"id": "b", "name": "B", "tags": ["x"]}),
            json!({"id": "a", "name": "A"}),
            json!({"id": "b", "name": "B2", "info": {"meta": {"tags": ["y", " x "],
                   "profile_image_url": "data:"}}, "tags": ["z"]}),
            json!({"id": "c", "name": "C"}),
        ];
        let order = [json!("c")];
        let listed = present(unique(models), Some(&order));
        assert_eq!(ids(&listed), ["c", "a", "b"]);
        let b = &listed[2];
        assert_eq!(b["name"], json!("B2"));
        assert_eq!(
            b["tags"],
            json!([{"name": "y"}, {"name": "x"}, {"name": "z"}])
        );
        assert_eq!(
            b["info"]["meta"],
            json!({"tags": [{"name": "y"}, {"name": "x"}]})
        );
        let unordered =
            present(unique(vec![json!({"id": "b"}), json!({"id": "a"})]), None);
        assert_eq!(ids(&unordered), ["b", "a"]);
    }

    #[test]
    fn openais_own_non_chat_models_are_told_apart() {
        assert!(is_unsupported_openai_model("text-embedding-3-small"));
        assert!(!is_unsupported_openai_model("gpt-4o"));
    }
}
