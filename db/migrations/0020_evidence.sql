CREATE TYPE "public"."fetch_status" AS ENUM('pending', 'stored', 'failed');--> statement-breakpoint
CREATE TYPE "public"."file_location" AS ENUM('db', 's3');--> statement-breakpoint
CREATE TYPE "public"."photo_stage" AS ENUM('before', 'after');--> statement-breakpoint
CREATE TABLE "completion_photos" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"completion_id" integer NOT NULL,
	"channel" "channel" NOT NULL,
	"kind" text DEFAULT 'image' NOT NULL,
	"file_key" text NOT NULL,
	"message_id" text,
	"added_by_id" integer,
	"file_id" integer,
	"fetch_status" "fetch_status" DEFAULT 'pending' NOT NULL,
	"fetch_attempts" integer DEFAULT 0 NOT NULL,
	"fetch_next_at" timestamp with time zone DEFAULT now() NOT NULL,
	"fetch_until" timestamp with time zone,
	"fetch_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "stored_file_chunks" (
	"file_id" integer NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "stored_file_chunks_file_id_seq_pk" PRIMARY KEY("file_id","seq")
);
--> statement-breakpoint
CREATE TABLE "stored_files" (
	"id" serial PRIMARY KEY NOT NULL,
	"tenant_id" integer NOT NULL,
	"sha256" text NOT NULL,
	"content_type" text NOT NULL,
	"size" integer NOT NULL,
	"location" "file_location" NOT NULL,
	"object_key" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "stored_files_object_key" CHECK (("stored_files"."location" = 's3') = ("stored_files"."object_key" is not null))
);
--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "stage" "photo_stage" DEFAULT 'before' NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "file_id" integer;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "fetch_status" "fetch_status" DEFAULT 'pending' NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "fetch_attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "fetch_next_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "fetch_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD COLUMN "fetch_error" text;--> statement-breakpoint
ALTER TABLE "completion_photos" ADD CONSTRAINT "completion_photos_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "completion_photos" ADD CONSTRAINT "completion_photos_completion_id_completions_id_fk" FOREIGN KEY ("completion_id") REFERENCES "public"."completions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "completion_photos" ADD CONSTRAINT "completion_photos_added_by_id_people_id_fk" FOREIGN KEY ("added_by_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "completion_photos" ADD CONSTRAINT "completion_photos_file_id_stored_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."stored_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stored_file_chunks" ADD CONSTRAINT "stored_file_chunks_file_id_stored_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."stored_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stored_files" ADD CONSTRAINT "stored_files_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "completion_photos_completion" ON "completion_photos" USING btree ("completion_id");--> statement-breakpoint
CREATE INDEX "completion_photos_pending" ON "completion_photos" USING btree ("fetch_next_at") WHERE "completion_photos"."fetch_status" = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "stored_files_tenant_sha256" ON "stored_files" USING btree ("tenant_id","sha256");--> statement-breakpoint
ALTER TABLE "hazard_photos" ADD CONSTRAINT "hazard_photos_file_id_stored_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."stored_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "hazard_photos_pending" ON "hazard_photos" USING btree ("fetch_next_at") WHERE "hazard_photos"."fetch_status" = 'pending';--> statement-breakpoint
-- Photos kept as platform keys before 0020: the download is tried once more within the window of their arrival.
UPDATE "hazard_photos" SET "fetch_until" = "created_at" + interval '3 days';