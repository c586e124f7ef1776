//! What reaches the provider: parameters from several places, merged in one order.
//!
//! The twin of `reference_backend/utils/payload.py`. From weakest to strongest: the
//! admin's default parameters, the workspace model's, the request's `params`, and
//! the request's own top-level keys, which nothing overrides.

use axum::http::StatusCode;
use serde_json::{Map, Value, json};

use crate::errors::ApiError;

// --8<-- [start:merge-params]
/// `override_` over `base`; their `custom_params` objects merge, not replace.
#[must_use]
pub fn merge_params(
    base: &Map<String, Value>,
    override_: &Map<String, Value>,
) -> Map<String, Value> {
    let mut merged = base.clone();
    merged.extend(override_.clone());
    if let Some(Value::Object(base_custom)) = base.get("custom_params") {
        match override_.get("custom_params") {
            Some(Value::Object(custom)) => {
                let mut both = base_custom.clone();
                both.extend(custom.clone());
                merged.insert("custom_params".into(), Value::Object(both));
            }
            None | Some(Value::Null) => {
                merged
                    .insert("custom_params".into(), Value::Object(base_custom.clone()));
            }
            Some(_) => {}
        }
    }
    merged
}

/// Parameters that steer Open WebUI itself and are never sent to a provider.
const OPEN_WEBUI_PARAMS: [&str; 9] = [
    "stream_response",
    "stream_delta_chunk_size",
    "function_calling",
    "reasoning_tags",
    "compact_token_threshold",
    "system",
    "note_id",
    "tool_approval_mode",
    "model_controls",
];

/// `custom_params` values given as JSON text are read as JSON, then merged in depth.
#[must_use]
pub fn provider_params(mut params: Map<String, Value>) -> Map<String, Value> {
    params.retain(|key, _| !OPEN_WEBUI_PARAMS.contains(&key.as_str()));
    if let Some(Value::Object(custom)) = params.remove("custom_params") {
        for (key, value) in custom {
            let value = match value {
                Value::String(text) => {
                    serde_json::from_str(&text).unwrap_or(Value::String(text))
                }
                other => other,
            };
            deep_update(&mut params, key, value);
        }
    }
    params
}

/// `target[key] = value`, merging objects key by key.
fn deep_update(target: &mut Map<String, Value>, key: String, value: Value) {
    match (target.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(update)) => {
            for (key, value) in update {
                deep_update(existing, key, value);
            }
        }
        (_, value) => {
            target.insert(key, value);
        }
    }
}

/// A parameter as the API expects it: numbers as numbers, stop words unescaped.
fn cast_param(key: &str, value: Value) -> Value {
    let float = |value: &Value| match value {
        Value::String(text) => text.trim().parse::<f64>().ok().map(Value::from),
        Value::Number(number) => number.as_f64().map(Value::from),
        _ => None,
    };
    let cast = match key {
        "temperature" | "top_p" | "min_p" | "frequency_penalty"
        | "presence_penalty" => float(&value),
        // Python's int() truncates a float and parses a string.
        #[allow(clippy::cast_possible_truncation, reason = "int() truncates too")]
        "max_tokens" => match &value {
            Value::Number(number) => number
                .as_i64()
                .or_else(|| number.as_f64().map(|n| n.trunc() as i64))
                .map(Value::from),
            Value::String(text) => text.trim().parse::<i64>().ok().map(Value::from),
            _ => None,
        },
        "stop" => value.as_array().map(|stops| {
            stops
                .iter()
                .map(|stop| {
                    stop.as_str()
                        .map_or_else(|| stop.clone(), |s| json!(unescape(s)))
                })
                .collect()
        }),
        _ => None,
    };
    cast.unwrap_or(value)
}

/// The escapes a stop word is typed with in a settings field: `\n`, `\t`, `\r`, `\\`.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') | None => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
        }
    }
    out
}

/// A workspace model's parameters, for what the request leaves unset.
pub fn apply_params(params: Map<String, Value>, payload: &mut Map<String, Value>) {
    for (key, value) in provider_params(params) {
        if !value.is_null() && !payload.contains_key(&key) {
            let value = cast_param(&key, value);
            payload.insert(key, value);
        }
    }
}

// --8<-- [end:merge-params]

// --8<-- [start:model-controls]
/// The options picked in a workspace model's menus, or their defaults, spread into
/// `custom_params`. A pick the model no longer offers is refused.
///
/// # Errors
/// A 400 when the picks are not an object, or name an option the menu lacks.
pub fn apply_model_controls(
    mut params: Map<String, Value>,
    controls: &Map<String, Value>,
    choices: &Value,
) -> Result<Map<String, Value>, ApiError> {
    let refuse = |detail: String| ApiError::new(StatusCode::BAD_REQUEST, detail);
    let Value::Object(choices) = choices else {
        return Err(refuse(
            "Model control options must be an object.".to_owned(),
        ));
    };
    let options =
        |key: &str| controls.get(key).and_then(|control| control.get("options"));
    for (key, choice) in choices {
        let offered = choice.as_str().is_some_and(|choice| {
            options(key).is_some_and(|options| options.get(choice).is_some())
        });
        if controls.contains_key(key) && !offered {
            let detail = format!(
                "Model control {key}: the selected option is no longer available."
            );
            return Err(refuse(detail));
        }
    }
    for (key, control) in controls {
        let choice = choices
            .get(key)
            .or_else(|| control.get("default"))
            .and_then(Value::as_str);
        let chosen = choice
            .and_then(|choice| options(key)?.get(choice)?.get("params"))
            .and_then(Value::as_object);
        if let Some(chosen) = chosen {
            let mut custom = match params.remove("custom_params") {
                Some(Value::Object(custom)) => custom,
                _ => Map::new(),
            };
            for (name, value) in chosen {
                deep_update(&mut custom, name.clone(), value.clone());
            }
            params.insert("custom_params".into(), Value::Object(custom));
        }
    }
    Ok(params)
}
// --8<-- [end:model-controls]

// --8<-- [start:system-prompt]
/// A workspace model's system prompt goes before the request's own, or first.
pub fn add_system_prompt(system: &str, payload: &mut Map<String, Value>) {
    let Some(Value::Array(messages)) = payload.get_mut("messages") else {
        return;
    };
    match messages.first_mut() {
        Some(first) if first.get("role") == Some(&json!("system")) => match first
            .get_mut("content")
        {
            Some(Value::Array(parts)) => {
                for part in parts
                    .iter_mut()
                    .filter(|part| part.get("type") == Some(&json!("text")))
                {
                    let text =
                        part.get("text").and_then(Value::as_str).unwrap_or_default();
                    part["text"] = json!(format!("{system}\n{text}"));
                }
            }
            content => {
                let text = content
                    .as_ref()
                    .and_then(|c| c.as_str())
                    .unwrap_or_default();
                first["content"] = json!(format!("{system}\n{text}"));
            }
        },
        _ => messages.insert(0, json!({"role": "system", "content": system})),
    }
}

// --8<-- [end:system-prompt]

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_menu_pick_or_its_default_becomes_custom_params() {
        let controls = json!({
            "effort": {"default": "low", "options": {
                "low": {"label": "Low", "params": {"reasoning": {"effort": "low"}}},
                "high": {"label": "High", "params": {"reasoning": {"effort": "high"}}}}}});
        let controls = controls.as_object().unwrap();
        let params = json!({"custom_params": {"reasoning": {"summary": "auto"}}});
        let params = params.as_object().cloned().unwrap();
        let picked =
            apply_model_controls(params.clone(), controls, &json!({"effort": "high"}));
        assert_eq!(
            picked.unwrap()["custom_params"],
            json!({"reasoning": {"summary": "auto", "effort": "high"}})
        );
        let defaulted = apply_model_controls(Map::new(), controls, &json!({})).unwrap();
        assert_eq!(
            defaulted["custom_params"],
            json!({"reasoning": {"effort": "low"}})
        );
        assert!(
            apply_model_controls(params.clone(), controls, &json!({"effort": "max"}))
                .is_err()
        );
        assert!(apply_model_controls(params, controls, &json!([])).is_err());
    }

    #[test]
    fn the_override_wins_and_custom_params_merge() {
        let base = json!({"temperature": 0.1, "custom_params": {"a": 1, "b": 1}});
        let over = json!({"temperature": 0.2, "custom_params": {"b": 2}});
        let merged = merge_params(base.as_object().unwrap(), over.as_object().unwrap());
        assert_eq!(
            Value::Object(merged),
            json!({"temperature": 0.2, "custom_params": {"a": 1, "b": 2}})
        );
    }

    #[test]
    fn model_params_fill_only_what_the_request_leaves_unset() {
        let params = json!({"temperature": "0.5", "max_tokens": 7.9, "system": "s",
            "custom_params": {"seed": "42", "top_k": "x"}, "stop": ["\\n"]});
        let mut payload = json!({"model": "m", "temperature": 1})
            .as_object()
            .cloned()
            .unwrap();
        apply_params(params.as_object().cloned().unwrap(), &mut payload);
        assert_eq!(
            Value::Object(payload),
            json!({"model": "m", "temperature": 1, "max_tokens": 7, "stop": ["\n"],
                   "seed": 42, "top_k": "x"})
        );
    }

    #[test]
    fn the_system_prompt_goes_first() {
        let mut payload = json!({"messages": [{"role": "user", "content": "u"}]})
            .as_object()
            .cloned()
            .unwrap();
        add_system_prompt("s", &mut payload);
        assert_eq!(
            payload["messages"][0],
            json!({"role": "system", "content": "s"})
        );
        add_system_prompt("t", &mut payload);
        assert_eq!(
            payload["messages"][0],
            json!({"role": "system", "content": "t\ns"})
        );
    }
}
