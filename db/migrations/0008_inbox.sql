ALTER TABLE "inbound_events" ADD COLUMN "payload" jsonb;--> statement-breakpoint
ALTER TABLE "inbound_events" ADD COLUMN "conversation" text;--> statement-breakpoint
ALTER TABLE "inbound_events" ADD COLUMN "processed_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "inbound_events_pending" ON "inbound_events" USING btree ("id") WHERE "inbound_events"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "inbound_events_pending_conversation" ON "inbound_events" USING btree ("conversation","id") WHERE "inbound_events"."status" = 'pending';