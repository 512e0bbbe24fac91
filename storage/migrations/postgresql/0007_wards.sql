-- PostgreSQL variant of 0007_wards.sql. PostgreSQL changes a table in place, so `wards` is
-- altered instead of rebuilt (no PRAGMA, no temporary copy; the foreign keys naming it stay):
-- district dropped; code, kind, province_code, demo, enabled added (INTEGER is BIGINT); the
-- area CHECK replaced and its default now 'unknown'. Data updates as in the shared file.
ALTER TABLE wards DROP COLUMN district;
ALTER TABLE wards ADD COLUMN code TEXT UNIQUE;
ALTER TABLE wards ADD COLUMN kind TEXT NOT NULL DEFAULT ''
    CHECK (kind IN ('', 'xa', 'phuong', 'dac_khu'));
ALTER TABLE wards ADD COLUMN province_code TEXT NOT NULL DEFAULT '';
ALTER TABLE wards DROP CONSTRAINT wards_area_check;
ALTER TABLE wards ADD CONSTRAINT wards_area_check
    CHECK (area IN ('rural', 'urban', 'unknown'));
ALTER TABLE wards ALTER COLUMN area SET DEFAULT 'unknown';
ALTER TABLE wards ADD COLUMN demo BIGINT NOT NULL DEFAULT 0 CHECK (demo IN (0, 1));
ALTER TABLE wards ADD COLUMN enabled BIGINT NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1));

UPDATE wards
SET code = '20257', name = 'Phường Hòa Cường', kind = 'phuong', province_code = '48',
    province = 'Thành phố Đà Nẵng', area = 'urban', demo = 1
WHERE id = 'hoa-cuong-bac' AND name LIKE '%(dữ liệu mẫu)%';

ALTER TABLE donation_campaigns ADD COLUMN province_code TEXT;
UPDATE donation_campaigns
SET province_code = (SELECT MIN(province_code) FROM wards WHERE province_code <> '')
WHERE ward_id IS NULL
    AND NOT EXISTS (SELECT 1 FROM wards WHERE province_code = '')
    AND (SELECT COUNT(DISTINCT province_code) FROM wards) = 1;
