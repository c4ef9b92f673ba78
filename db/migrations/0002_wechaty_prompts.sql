CREATE TABLE "card_prompts" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer,
	"channel" "channel" NOT NULL,
	"chat_id" text NOT NULL,
	"person_id" integer,
	"title" text NOT NULL,
	"buttons" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "card_prompts" ADD CONSTRAINT "card_prompts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "card_prompts" ADD CONSTRAINT "card_prompts_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "card_prompts_chat" ON "card_prompts" USING btree ("channel","chat_id","id");