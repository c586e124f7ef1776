"""The key sets of upstream's JSON bodies, which clients read field by field.

A missing key breaks a client that reads it, and an extra one shows a server that
drifted, so tests compare these sets exactly. Values are checked in the tests.
"""

# What /api/config tells a signed-out browser: everything the login page needs.
ANONYMOUS_CONFIG = {
    "status",
    "name",
    "version",
    "default_locale",
    "i18n",
    "oauth",
    "features",
}
ANONYMOUS_FEATURES = {
    "slim",
    "auth",
    "auth_trusted_header",
    "enable_signup_password_confirmation",
    "enable_ldap",
    "enable_signup",
    "enable_login_form",
    "enable_websocket",
}
# What it tells a signed-in user or admin: what the chat page reads before it starts.
SIGNED_IN_CONFIG = ANONYMOUS_CONFIG | {
    "default_models",
    "default_pinned_models",
    "default_prompt_suggestions",
    "default_prompt_suggestions_i18n",
    "code",
    "audio",
    "file",
    "permissions",
    "google_drive",
    "onedrive",
    "ui",
    "license_metadata",
}
SIGNED_IN_FEATURES = ANONYMOUS_FEATURES | {
    "enable_api_keys",
    "enable_password_change_form",
    "enable_version_update_check",
    "enable_pyodide_file_persistence",
    "enable_public_active_users_count",
    "enable_easter_eggs",
    "enable_direct_connections",
    "enable_direct_integrations",
    "enable_plugins",
    "enable_tools",
    "enable_functions",
    "enable_tool_servers",
    "enable_terminal_servers",
    "enable_folders",
    "folder_max_file_count",
    "enable_channels",
    "enable_encrypted_channels",
    "enable_apps",
    "enable_calendar",
    "enable_automations",
    "enable_notes",
    "enable_context_compaction",
    "enable_tool_permissions",
    "enable_web_search",
    "enable_web_search_confirmation",
    "web_search_confirmation_content",
    "enable_code_execution",
    "enable_code_interpreter",
    "enable_image_generation",
    "enable_autocomplete_generation",
    "enable_title_generation",
    "enable_follow_up_generation",
    "enable_tags_generation",
    "enable_community_sharing",
    "enable_message_rating",
    "enable_user_webhooks",
    "enable_user_status",
    "enable_admin_export",
    "enable_admin_chat_access",
    "enable_admin_analytics",
    "enable_google_drive_integration",
    "enable_onedrive_integration",
    "enable_memories",
    "enable_subagents",
}

# GET /auths/admin/config: every setting of the admin panel's General page, which
# posts the whole form back on save.
ADMIN_CONFIG = {
    "ENABLE_MFA",
    "MFA_ALLOW_OAUTH_BYPASS",
    "MFA_ALLOW_TRUSTED_HEADER_BYPASS",
    "SHOW_ADMIN_DETAILS",
    "ADMIN_EMAIL",
    "WEBUI_URL",
    "ENABLE_LOGIN_FORM",
    "ENABLE_SIGNUP",
    "ENABLE_API_KEYS",
    "ENABLE_API_KEYS_ENDPOINT_RESTRICTIONS",
    "API_KEYS_ALLOWED_ENDPOINTS",
    "DEFAULT_USER_ROLE",
    "DEFAULT_GROUP_ID",
    "DEFAULT_INTERFACE_SETTINGS",
    "I18N",
    "JWT_EXPIRES_IN",
    "ENABLE_COMMUNITY_SHARING",
    "ENABLE_MESSAGE_RATING",
    "ENABLE_FOLDERS",
    "FOLDER_MAX_FILE_COUNT",
    "AUTOMATION_MAX_COUNT",
    "AUTOMATION_MIN_INTERVAL",
    "ENABLE_AUTOMATIONS",
    "ENABLE_CHANNELS",
    "ENABLE_ENCRYPTED_CHANNELS",
    "ENABLE_APPS",
    "CHANNEL_MODEL_RESPONSE_MODE",
    "ENABLE_CALENDAR",
    "ENABLE_MEMORIES",
    "ENABLE_MEMORY_SYSTEM_CONTEXT",
    "ENABLE_SKILL_LAZY_LOADING",
    "SKILL_CONTENT_MAX_CHARS",
    "SKILL_PREVIEW_MAX_CHARS",
    "ENABLE_NOTES",
    "ENABLE_USER_WEBHOOKS",
    "ENABLE_USER_STATUS",
    "PENDING_USER_OVERLAY_TITLE",
    "PENDING_USER_OVERLAY_CONTENT",
    "RESPONSE_WATERMARK",
}

# POST /auths/signin and /auths/signup.
SESSION = {
    "id",
    "name",
    "role",
    "email",
    "profile_image_url",
    "token",
    "token_type",
    "expires_at",
    "permissions",
}
# The sections of `permissions` in a session.
PERMISSION_SECTIONS = {
    "workspace",
    "sharing",
    "access_grants",
    "chat",
    "features",
    "settings",
}
# GET /auths/: the session again, with the stored profile fields.
SESSION_USER = {
    "token",
    "token_type",
    "expires_at",
    "id",
    "email",
    "name",
    "role",
    "profile_image_url",
    "bio",
    "gender",
    "date_of_birth",
    "status_emoji",
    "status_message",
    "status_expires_at",
    "permissions",
}
# POST /auths/add: no expiry, and nothing that is null.
ADDED_USER = {"id", "name", "role", "email", "profile_image_url", "token", "token_type"}
# POST /auths/update/profile.
PROFILE = {"id", "name", "role", "email", "profile_image_url"}

# A user row as the admin endpoints return it.
USER = {
    "id",
    "email",
    "username",
    "role",
    "name",
    "profile_image_url",
    "profile_banner_image_url",
    "bio",
    "gender",
    "date_of_birth",
    "timezone",
    "presence_state",
    "status_emoji",
    "status_message",
    "status_expires_at",
    "info",
    "settings",
    "oauth",
    "scim",
    "last_active_at",
    "updated_at",
    "created_at",
}
USER_LIST_ITEM = USER | {"group_ids"}
USER_DETAIL = USER | {"groups", "is_active"}

CHAT = {
    "id",
    "user_id",
    "title",
    "chat",
    "updated_at",
    "created_at",
    "share_id",
    "archived",
    "pinned",
    "meta",
    "variables",
    "folder_id",
    "tasks",
    "summary",
    "current_message_id",
    "context_usage",
}
CHAT_LIST_ITEM = {
    "id",
    "title",
    "updated_at",
    "created_at",
    "last_read_at",
    "snippet",
    "active",
    "archived",
}

MODEL = {
    "version_id",
    "id",
    "user_id",
    "base_model_id",
    "name",
    "params",
    "meta",
    "access_grants",
    "is_active",
    "updated_at",
    "created_at",
}
MODEL_META = {
    "profile_image_url",
    "background_image_url",
    "description",
    "i18n",
    "capabilities",
    "knowledge",
    "voice",
    "voice_avatar",
}
# GET /models/model and the items of /models/list also say who may edit.
MODEL_ACCESS = MODEL | {"user", "write_access"}
