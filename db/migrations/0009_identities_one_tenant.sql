DROP INDEX "identities_unique";--> statement-breakpoint
-- A platform id held in more than one tenant (possible until now) stays with one: a current member before
-- an archived one or an outside reporter, then the earliest claim. Each tenant that loses one finds it in
-- its audit trail; `npm run org:move` moves it if the choice was wrong.
WITH ranked AS (
  SELECT i.id, row_number() OVER (
    PARTITION BY i.channel, i.kind, i.value ORDER BY (p.archived OR p.is_outside), i.id
  ) AS n
  FROM "identities" i JOIN "people" p ON p.id = i.person_id
), dropped AS (
  DELETE FROM "identities" USING ranked WHERE "identities".id = ranked.id AND ranked.n > 1
  RETURNING "identities".*
)
INSERT INTO "audit_events" ("tenant_id", "subject", "action", "note", "data")
SELECT tenant_id, 'identity:' || id, 'identity.released',
  'migration 0009: held by more than one tenant, kept by the other',
  jsonb_build_object('channel', channel::text, 'kind', kind, 'value', value, 'personId', person_id)
FROM dropped;--> statement-breakpoint
CREATE UNIQUE INDEX "identities_unique" ON "identities" USING btree ("channel","kind","value");
