ALTER TABLE "obligation_periods" ALTER COLUMN "met" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "obligation_periods" ADD COLUMN "exempt_reason" text;--> statement-breakpoint
ALTER TABLE "obligations" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "posts" ADD COLUMN "created_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "obligation_periods" ADD CONSTRAINT "obligation_periods_exempt" CHECK (("obligation_periods"."met" is null) = ("obligation_periods"."exempt_reason" is not null));--> statement-breakpoint
-- Data repair (issue 15 §2). Posts and obligations get the moment they were first imported, as far as it
-- can be known: a post from its first holder's start (set by the import that made it), else the
-- organization's load; an obligation from its post.
UPDATE "posts" SET "created_at" = coalesce(
  (SELECT min(h."started_at") FROM "post_holders" h WHERE h."post_id" = "posts"."id"),
  (SELECT t."created_at" FROM "tenants" t WHERE t."id" = "posts"."tenant_id"));--> statement-breakpoint
UPDATE "obligations" SET "created_at" = (SELECT p."created_at" FROM "posts" p WHERE p."id" = "obligations"."post_id");--> statement-breakpoint
-- Data repair (issue 15 §2): a 未履职 recorded for a period that ended before the duty could be met
-- (organization loaded, post or obligation created, the holder's term started) is removed; one for the
-- period then running with less than half of it left becomes 不考核. Each with an audit row saying why.
-- The rule and the reason's wording are those of assessmentOf in handlers/periods.ts.
WITH "starts" AS (
  SELECT op."id", op."tenant_id", op."obligation_id", op."person_id", op."period_key", op."done", op."needed",
    op."period_start"::date AS "ps", op."period_end"::date AS "pe",
    (t."created_at" AT TIME ZONE t."timezone")::date AS "loaded",
    (p."created_at" AT TIME ZONE t."timezone")::date AS "post",
    (o."created_at" AT TIME ZONE t."timezone")::date AS "obligation",
    -- The holder's term the period fell in (the latest begun by its end), else their first term.
    (coalesce(h."started_at", (SELECT min(ph."started_at") FROM "post_holders" ph
      WHERE ph."post_id" = o."post_id" AND ph."person_id" = op."person_id")) AT TIME ZONE t."timezone")::date AS "holder"
  FROM "obligation_periods" op
  JOIN "obligations" o ON o."id" = op."obligation_id"
  JOIN "posts" p ON p."id" = o."post_id"
  JOIN "tenants" t ON t."id" = op."tenant_id"
  LEFT JOIN LATERAL (
    SELECT ph."started_at" FROM "post_holders" ph
    WHERE ph."post_id" = o."post_id" AND ph."person_id" = op."person_id"
      AND (ph."started_at" AT TIME ZONE t."timezone")::date <= op."period_end"::date
    ORDER BY ph."started_at" DESC LIMIT 1
  ) h ON true
  WHERE op."met" = false
), "dated" AS (
  SELECT s.*, greatest(s."loaded", s."post", s."obligation", s."holder") AS "start" FROM "starts" s
), "judged" AS (
  SELECT d.*,
    CASE WHEN d."start" > d."pe" THEN 'void'
      WHEN d."start" > d."ps" AND (d."pe" - d."start" + 1) * 2 < (d."pe" - d."ps" + 1) THEN 'exempt'
    END AS "verdict",
    CASE WHEN d."start" = d."loaded" THEN '组织导入' WHEN d."start" = d."post" THEN '岗位设立'
      WHEN d."start" = d."obligation" THEN '该项职责设立' ELSE '本人到任' END AS "why"
  FROM "dated" d
), "voided" AS (
  DELETE FROM "obligation_periods" op USING "judged" j WHERE op."id" = j."id" AND j."verdict" = 'void'
), "exempted" AS (
  UPDATE "obligation_periods" op
  SET "met" = NULL,
    "exempt_reason" = to_char(j."start", 'YYYY-MM-DD') || j."why" || '时本期已过半（仅余 ' || (j."pe" - j."start" + 1)
      || '/' || (j."pe" - j."ps" + 1) || ' 天），不考核'
  FROM "judged" j WHERE op."id" = j."id" AND j."verdict" = 'exempt'
)
INSERT INTO "audit_events" ("tenant_id", "subject", "action", "from_status", "to_status", "note", "data")
SELECT j."tenant_id", 'obligation:' || j."obligation_id",
  CASE j."verdict" WHEN 'void' THEN 'period.voided' ELSE 'period.exempted' END, 'missed',
  CASE j."verdict" WHEN 'void' THEN NULL ELSE 'exempt' END,
  CASE j."verdict"
    WHEN 'void' THEN to_char(j."pe", 'YYYY-MM-DD') || ' 结束的这一期早于' || to_char(j."start", 'YYYY-MM-DD')
      || j."why" || '，不应记为未履职，已删除（数据修复）'
    ELSE to_char(j."start", 'YYYY-MM-DD') || j."why" || '时本期已过半（仅余 ' || (j."pe" - j."start" + 1)
      || '/' || (j."pe" - j."ps" + 1) || ' 天），改为不考核（数据修复）'
  END,
  jsonb_build_object('personId', j."person_id", 'periodKey', j."period_key", 'done', j."done", 'needed', j."needed")
FROM "judged" j WHERE j."verdict" IS NOT NULL;
