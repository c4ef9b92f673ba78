CREATE TYPE "public"."accident_kind" AS ENUM('fire', 'collapse', 'traffic', 'food_poisoning', 'stampede', 'epidemic', 'drowning', 'liability', 'other');--> statement-breakpoint
CREATE TYPE "public"."accident_severity" AS ENUM('general', 'major', 'grave', 'especially_grave');--> statement-breakpoint
CREATE TYPE "public"."veto_proposal_status" AS ENUM('pending', 'confirmed', 'dismissed');--> statement-breakpoint
CREATE TABLE "accident_parties" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"accident_id" integer NOT NULL,
	"unit_id" integer,
	"post_id" integer,
	"person_id" integer,
	CONSTRAINT "accident_parties_unit_or_post" CHECK (num_nonnulls("accident_parties"."unit_id", "accident_parties"."post_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "accidents" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"code" text NOT NULL,
	"kind" "accident_kind" NOT NULL,
	"severity" "accident_severity" NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"place" text NOT NULL,
	"summary" text NOT NULL,
	"students" integer DEFAULT 0 NOT NULL,
	"staff" integer DEFAULT 0 NOT NULL,
	"injured" integer DEFAULT 0 NOT NULL,
	"deaths" integer DEFAULT 0 NOT NULL,
	"responsible" boolean DEFAULT false NOT NULL,
	"injured_names" text DEFAULT '' NOT NULL,
	"handling" text DEFAULT '' NOT NULL,
	"follow_up" text DEFAULT '' NOT NULL,
	"report_due_at" timestamp with time zone NOT NULL,
	"reported_at" timestamp with time zone,
	"reported_to" text,
	"recorded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "assessment_adjustments" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"year" integer NOT NULL,
	"unit_id" integer NOT NULL,
	"item" text NOT NULL,
	"points" integer NOT NULL,
	"reason" text NOT NULL,
	"set_by" text NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person_veto_flags" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"person_id" integer NOT NULL,
	"year" integer NOT NULL,
	"kind" text NOT NULL,
	"reason" text NOT NULL,
	"set_by" text NOT NULL,
	"set_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "veto_proposals" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"accident_id" integer NOT NULL,
	"unit_id" integer,
	"person_id" integer,
	"year" integer NOT NULL,
	"kind" text NOT NULL,
	"status" "veto_proposal_status" DEFAULT 'pending' NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"decision_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "veto_proposals_unit_or_person" CHECK (num_nonnulls("veto_proposals"."unit_id", "veto_proposals"."person_id") = 1)
);
--> statement-breakpoint
ALTER TABLE "accident_parties" ADD CONSTRAINT "accident_parties_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accident_parties" ADD CONSTRAINT "accident_parties_accident_id_accidents_id_fk" FOREIGN KEY ("accident_id") REFERENCES "public"."accidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accident_parties" ADD CONSTRAINT "accident_parties_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accident_parties" ADD CONSTRAINT "accident_parties_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accident_parties" ADD CONSTRAINT "accident_parties_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "accidents" ADD CONSTRAINT "accidents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_adjustments" ADD CONSTRAINT "assessment_adjustments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "assessment_adjustments" ADD CONSTRAINT "assessment_adjustments_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_veto_flags" ADD CONSTRAINT "person_veto_flags_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_veto_flags" ADD CONSTRAINT "person_veto_flags_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "veto_proposals" ADD CONSTRAINT "veto_proposals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "veto_proposals" ADD CONSTRAINT "veto_proposals_accident_id_accidents_id_fk" FOREIGN KEY ("accident_id") REFERENCES "public"."accidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "veto_proposals" ADD CONSTRAINT "veto_proposals_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "veto_proposals" ADD CONSTRAINT "veto_proposals_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "accident_parties_accident" ON "accident_parties" USING btree ("accident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "accidents_tenant_code" ON "accidents" USING btree ("tenant_id","code");--> statement-breakpoint
CREATE UNIQUE INDEX "assessment_adjustments_cell" ON "assessment_adjustments" USING btree ("tenant_id","year","unit_id","item");--> statement-breakpoint
CREATE UNIQUE INDEX "person_veto_flags_person_year_kind" ON "person_veto_flags" USING btree ("person_id","year","kind");--> statement-breakpoint
CREATE INDEX "veto_proposals_tenant_status" ON "veto_proposals" USING btree ("tenant_id","status");