-- V3 made the inbox cursor secret from random(), which is not a cryptographic source (its state can
-- be recovered from outputs). gen_random_uuid() draws from pg_strong_random: two of them give 244
-- random bits. Cursors signed with the old secret stop being accepted once (a client restarts its listing).
UPDATE installation_secrets
SET secret = decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex')
WHERE name = 'cursor';
