ALTER TYPE "public"."channel" ADD VALUE 'wecom_bot';--> statement-breakpoint
CREATE TABLE "connection_leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
