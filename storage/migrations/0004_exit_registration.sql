-- Registration to exit poverty (đăng ký thoát nghèo): one row per household registration,
-- its status history, and a unique submission token so a double tap creates one row.
-- Personal fields are blanked (anonymised = 1) by /xoadulieu; ward, status, causes and wished
-- support stay so the ward's aggregate counts remain right.
CREATE TABLE exit_registrations (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    channel TEXT NOT NULL DEFAULT '',
    chat_id TEXT NOT NULL DEFAULT '',
    ward_id TEXT NOT NULL REFERENCES wards(id),
    submission_token TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN (
        'submitted', 'in_review', 'needs_info', 'survey_scheduled',
        'recognised_exited', 'not_recognised', 'withdrawn')),
    full_name TEXT NOT NULL DEFAULT '',
    birth_date TEXT NOT NULL DEFAULT '',
    sex TEXT NOT NULL DEFAULT '',
    ethnicity TEXT NOT NULL DEFAULT '',
    id_number TEXT NOT NULL DEFAULT '',
    phone TEXT NOT NULL DEFAULT '',
    address TEXT NOT NULL DEFAULT '',
    household_code TEXT NOT NULL DEFAULT '',
    members INTEGER NOT NULL,
    monthly_income INTEGER,
    causes TEXT NOT NULL DEFAULT '[]',
    cause_other TEXT NOT NULL DEFAULT '',
    supports TEXT NOT NULL DEFAULT '[]',
    support_other TEXT NOT NULL DEFAULT '',
    target_year INTEGER NOT NULL,
    question TEXT NOT NULL DEFAULT '',
    anonymised INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    status_changed_at TEXT NOT NULL
);
CREATE INDEX exit_registrations_ward ON exit_registrations (ward_id, status, id);
CREATE INDEX exit_registrations_user ON exit_registrations (user_id);

CREATE TABLE exit_registration_history (
    id INTEGER PRIMARY KEY,
    registration_id INTEGER NOT NULL REFERENCES exit_registrations(id) ON DELETE CASCADE,
    at TEXT NOT NULL,
    actor_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX exit_registration_history_reg ON exit_registration_history (registration_id, id);
