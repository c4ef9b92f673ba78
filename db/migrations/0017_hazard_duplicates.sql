CREATE TABLE "report_offers" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"person_id" integer NOT NULL,
	"channel" "channel" NOT NULL,
	"chat_id" text NOT NULL,
	"message_id" text,
	"text" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"hazard_id" integer
);
--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "similar_to_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD COLUMN "duplicate_of_id" integer;--> statement-breakpoint
ALTER TABLE "report_offers" ADD CONSTRAINT "report_offers_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_offers" ADD CONSTRAINT "report_offers_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_offers" ADD CONSTRAINT "report_offers_hazard_id_hazards_id_fk" FOREIGN KEY ("hazard_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_similar_to_id_hazards_id_fk" FOREIGN KEY ("similar_to_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_duplicate_of_id_hazards_id_fk" FOREIGN KEY ("duplicate_of_id") REFERENCES "public"."hazards"("id") ON DELETE no action ON UPDATE no action;