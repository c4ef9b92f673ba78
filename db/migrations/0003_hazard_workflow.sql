CREATE TABLE "hazard_extensions" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"hazard_id" integer NOT NULL,
	"requested_by_id" integer NOT NULL,
	"reason" text NOT NULL,
	"days" integer NOT NULL,
	"new_deadline" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"decided_by_id" integer,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reminders" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"subject" text NOT NULL,
	"period" text NOT NULL,
	"person_id" integer NOT NULL,
	"step" text NOT NULL,
	"sent_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hazards" ALTER COLUMN "severity" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "hazards" ALTER COLUMN "severity" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "rectifier_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "measures" text;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "rectified_by_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "rectified_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "reviewed_by_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "reviewed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "closed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "reject_reason" text;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_matter" text;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_unit_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_deadline" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_by_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "listed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "settings" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_extensions" ADD CONSTRAINT "hazard_extensions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_extensions" ADD CONSTRAINT "hazard_extensions_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_extensions" ADD CONSTRAINT "hazard_extensions_requested_by_id_people_id_fk" FOREIGN KEY ("requested_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazard_extensions" ADD CONSTRAINT "hazard_extensions_decided_by_id_people_id_fk" FOREIGN KEY ("decided_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reminders" ADD CONSTRAINT "reminders_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reminders" ADD CONSTRAINT "reminders_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "reminders_natural_key" ON "reminders" USING btree ("subject","period","person_id","step");--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_rectifier_id_people_id_fk" FOREIGN KEY ("rectifier_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_rectified_by_id_people_id_fk" FOREIGN KEY ("rectified_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_reviewed_by_id_people_id_fk" FOREIGN KEY ("reviewed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_listed_unit_id_units_id_fk" FOREIGN KEY ("listed_unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_listed_by_id_people_id_fk" FOREIGN KEY ("listed_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;