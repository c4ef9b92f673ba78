CREATE TABLE "bureau_contracts" (
	"id" serial PRIMARY KEY NOT NULL,
	"bureau_id" integer NOT NULL,
	"post_id" integer,
	"unit_id" integer,
	"person_id" integer,
	"obligation_code" text,
	"school_name" text NOT NULL,
	"school_id" integer,
	CONSTRAINT "bureau_contracts_one_holder" CHECK (num_nonnulls("bureau_contracts"."post_id", "bureau_contracts"."unit_id", "bureau_contracts"."person_id") = 1)
);
--> statement-breakpoint
CREATE TABLE "bureau_schools" (
	"bureau_id" integer NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	CONSTRAINT "bureau_schools_bureau_id_code_pk" PRIMARY KEY("bureau_id","code")
);
--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "parent_id" integer;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "bureau_code" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "hazard_prefix" text;--> statement-breakpoint
-- Existing organizations get their code as prefix; their hazards keep the numbers they have.
UPDATE "tenants" SET "hazard_prefix" = upper(replace("code", '_', '-')) || CASE WHEN EXISTS (
  SELECT 1 FROM "tenants" "o" WHERE "o"."id" < "tenants"."id" AND replace("o"."code", '_', '-') = replace("tenants"."code", '_', '-')
) THEN '-' || "id" ELSE '' END;--> statement-breakpoint
ALTER TABLE "tenants" ALTER COLUMN "hazard_prefix" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "bureau_contracts" ADD CONSTRAINT "bureau_contracts_bureau_id_tenants_id_fk" FOREIGN KEY ("bureau_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bureau_contracts" ADD CONSTRAINT "bureau_contracts_post_id_posts_id_fk" FOREIGN KEY ("post_id") REFERENCES "public"."posts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bureau_contracts" ADD CONSTRAINT "bureau_contracts_unit_id_units_id_fk" FOREIGN KEY ("unit_id") REFERENCES "public"."units"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bureau_contracts" ADD CONSTRAINT "bureau_contracts_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bureau_contracts" ADD CONSTRAINT "bureau_contracts_school_id_tenants_id_fk" FOREIGN KEY ("school_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bureau_schools" ADD CONSTRAINT "bureau_schools_bureau_id_tenants_id_fk" FOREIGN KEY ("bureau_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bureau_contracts_bureau" ON "bureau_contracts" USING btree ("bureau_id");--> statement-breakpoint
CREATE INDEX "bureau_contracts_school" ON "bureau_contracts" USING btree ("school_id");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_parent_id_tenants_id_fk" FOREIGN KEY ("parent_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "tenants_hazard_prefix" ON "tenants" USING btree ("hazard_prefix");--> statement-breakpoint
CREATE INDEX "tenants_parent" ON "tenants" USING btree ("parent_id");--> statement-breakpoint
ALTER TABLE "tenants" ADD CONSTRAINT "tenants_not_own_parent" CHECK ("tenants"."parent_id" <> "tenants"."id");