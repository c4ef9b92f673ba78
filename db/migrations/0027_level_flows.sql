ALTER TABLE "hazards" ADD COLUMN "listed_by_tenant_id" integer;--> statement-breakpoint
ALTER TABLE "tasks" ADD COLUMN "assigner_tenant_id" integer;--> statement-breakpoint
ALTER TABLE "hazards" ADD CONSTRAINT "hazards_listed_by_tenant_id_tenants_id_fk" FOREIGN KEY ("listed_by_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tasks" ADD CONSTRAINT "tasks_assigner_tenant_id_tenants_id_fk" FOREIGN KEY ("assigner_tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;