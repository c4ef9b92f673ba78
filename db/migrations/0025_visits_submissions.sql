CREATE TABLE "submissions" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"to_tenant_id" integer NOT NULL,
	"kind" text NOT NULL,
	"period" text NOT NULL,
	"person_id" integer,
	"title" text NOT NULL,
	"body" text NOT NULL,
	"submitted_by" text NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"acknowledged_by" text,
	"acknowledged_at" timestamp with time zone,
	"comment" text,
	"commented_by" text,
	"commented_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "completions" ADD COLUMN "school_tenant_id" integer;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_to_tenant_id_tenants_id_fk" FOREIGN KEY ("to_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "submissions" ADD CONSTRAINT "submissions_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "submissions_key" ON "submissions" USING btree ("tenant_id","kind","period",coalesce("person_id", 0));--> statement-breakpoint
CREATE INDEX "submissions_to" ON "submissions" USING btree ("to_tenant_id","period");--> statement-breakpoint
ALTER TABLE "completions" ADD CONSTRAINT "completions_school_tenant_id_tenants_id_fk" FOREIGN KEY ("school_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "completions_school_tenant" ON "completions" USING btree ("school_tenant_id","date");