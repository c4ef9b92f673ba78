ALTER TABLE "tasks" ALTER COLUMN "assigner_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_account_id" integer;--> statement-breakpoint
ALTER TABLE "letter_rounds" ADD COLUMN "started_by_account_id" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "assigner_account_id" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "demo" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_actor_account_id_admin_accounts_id_fk" FOREIGN KEY ("actor_account_id") REFERENCES "public"."admin_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "letter_rounds" ADD CONSTRAINT "letter_rounds_started_by_account_id_admin_accounts_id_fk" FOREIGN KEY ("started_by_account_id") REFERENCES "public"."admin_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_assigner_account_id_admin_accounts_id_fk" FOREIGN KEY ("assigner_account_id") REFERENCES "public"."admin_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_one_assigner" CHECK (("tasks"."assigner_id" is null) <> ("tasks"."assigner_account_id" is null));