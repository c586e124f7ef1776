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
