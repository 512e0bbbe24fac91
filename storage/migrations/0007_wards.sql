-- Wards are the official commune-level units (xã, phường, đặc khu) of the two-level local
-- government in force since 01/07/2025 (34 provinces, 3,321 units, no district level):
--   code           the official 5-digit code (knowledge/admin_units/units.csv); unique;
--                  NULL only for a ward created before this migration;
--   kind           xa | phuong | dac_khu ('' when not known);
--   province_code  the official 2-digit province code ('' when not known);
--   area           urban (phường), rural (xã), unknown (đặc khu, provisional);
--   demo           1 for the demo data's ward, shown as "dữ liệu mẫu" only where demo data
--                  is presented;
--   enabled        0 for a ward taken out of service that still has records (kept for them).
-- The district column is dropped. The table is rebuilt (SQLite cannot change a CHECK): the
-- rows are copied aside, the old table dropped and the new one renamed to `wards`, so the
-- foreign keys of users, handover_questions, exit_registrations and the donation tables,
-- which name `wards`, keep pointing at it; they are checked at COMMIT (deferred).
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE wards_0007 AS SELECT id, name, province, area FROM wards;

CREATE TABLE wards_new (
    id TEXT PRIMARY KEY,
    code TEXT UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'xa', 'phuong', 'dac_khu')),
    province_code TEXT NOT NULL DEFAULT '',
    province TEXT NOT NULL DEFAULT '',
    area TEXT NOT NULL DEFAULT 'unknown' CHECK (area IN ('rural', 'urban', 'unknown')),
    demo INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1))
);
DROP TABLE wards;
ALTER TABLE wards_new RENAME TO wards;
INSERT INTO wards (id, name, province, area)
    SELECT id, name, province, area FROM temp.wards_0007;
DROP TABLE temp.wards_0007;

-- The demo ward of earlier versions, "Phường Hòa Cường Bắc (dữ liệu mẫu)" of the former
-- Quận Hải Châu, merged on 01/07/2025 into Phường Hòa Cường (20257), Thành phố Đà Nẵng. It
-- keeps its id (its records point at it) and loses the label from its name.
UPDATE wards
SET code = '20257', name = 'Phường Hòa Cường', kind = 'phuong', province_code = '48',
    province = 'Thành phố Đà Nẵng', area = 'urban', demo = 1
WHERE id = 'hoa-cuong-bac' AND name LIKE '%(dữ liệu mẫu)%';

-- A campaign's scope is one ward (ward_id) or one whole province (ward_id NULL and the
-- province's code here), never a district. Campaigns made before this migration with no ward
-- get the province of the wards when every ward's province is known and the same; otherwise
-- province_code stays NULL and the campaign stays open to every ward, as before.
ALTER TABLE donation_campaigns ADD COLUMN province_code TEXT;
UPDATE donation_campaigns
SET province_code = (SELECT MIN(province_code) FROM wards WHERE province_code <> '')
WHERE ward_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM wards WHERE province_code = '')
    AND (SELECT COUNT(DISTINCT province_code) FROM wards) = 1;
