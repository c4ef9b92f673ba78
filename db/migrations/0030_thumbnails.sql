CREATE TABLE "stored_file_thumbnails" (
	"file_id" integer PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"data" "bytea",
	"width" integer,
	"height" integer,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stored_file_thumbnails_made_or_refused" CHECK (("stored_file_thumbnails"."data" is null) = ("stored_file_thumbnails"."error" is not null) and ("stored_file_thumbnails"."data" is null) = ("stored_file_thumbnails"."width" is null))
);
--> statement-breakpoint
ALTER TABLE "stored_file_thumbnails" ADD CONSTRAINT "stored_file_thumbnails_file_id_stored_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."stored_files"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stored_file_thumbnails" ADD CONSTRAINT "stored_file_thumbnails_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;