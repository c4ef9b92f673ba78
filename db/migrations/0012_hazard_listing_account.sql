ALTER TABLE "hazard_events" ADD COLUMN "actor_account_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_by_account_id" integer;--> statement-breakpoint
ALTER TABLE "hazard_events" ADD CONSTRAINT "hazard_events_actor_account_id_admin_accounts_id_fk" FOREIGN KEY ("actor_account_id") REFERENCES "public"."admin_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_listed_by_account_id_admin_accounts_id_fk" FOREIGN KEY ("listed_by_account_id") REFERENCES "public"."admin_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_events" ADD CONSTRAINT "hazard_events_one_actor" CHECK ("hazard_events"."actor_id" is null or "hazard_events"."actor_account_id" is null);--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_one_lister" CHECK ("hazards"."listed_by_id" is null or "hazards"."listed_by_account_id" is null);