CREATE TABLE "statement_drafts" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"person_id" integer NOT NULL,
	"year" integer NOT NULL,
	"text" text NOT NULL,
	"edited_by" text NOT NULL,
	"edited_by_account_id" integer,
	"edited_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "rectification_funds" numeric(12, 2);--> statement-breakpoint
ALTER TABLE "statement_drafts" ADD CONSTRAINT "statement_drafts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_drafts" ADD CONSTRAINT "statement_drafts_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "statement_drafts" ADD CONSTRAINT "statement_drafts_edited_by_account_id_admin_accounts_id_fk" FOREIGN KEY ("edited_by_account_id") REFERENCES "public"."admin_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "statement_drafts_person_year" ON "statement_drafts" USING btree ("tenant_id","person_id","year");