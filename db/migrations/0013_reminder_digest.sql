ALTER TABLE "reminders" ADD COLUMN "held" jsonb;--> statement-breakpoint
CREATE INDEX "reminders_held" ON "reminders" USING btree ("person_id") WHERE "reminders"."held" is not null;