CREATE TABLE "obligation_periods" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"obligation_id" integer NOT NULL,
	"person_id" integer NOT NULL,
	"period_key" text NOT NULL,
	"period_start" text NOT NULL,
	"period_end" text NOT NULL,
	"done" integer NOT NULL,
	"needed" integer NOT NULL,
	"met" boolean NOT NULL,
	"closed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "obligation_periods" ADD CONSTRAINT "obligation_periods_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligation_periods" ADD CONSTRAINT "obligation_periods_obligation_id_obligations_id_fk" FOREIGN KEY ("obligation_id") REFERENCES "public"."obligations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "obligation_periods" ADD CONSTRAINT "obligation_periods_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "obligation_periods_key" ON "obligation_periods" USING btree ("obligation_id","person_id","period_key");--> statement-breakpoint
CREATE INDEX "hazard_extensions_hazard" ON "hazard_extensions" USING btree ("hazard_id");--> statement-breakpoint
CREATE INDEX "hazard_photos_hazard" ON "hazard_photos" USING btree ("hazard_id");--> statement-breakpoint
CREATE INDEX "hazards_tenant_created" ON "hazards" USING btree ("tenant_id","created_at");