-- Reads of assignments the field and re-planning make: a child's visits newest first (ListChildVisits), and
-- a weekend's assignments in an area (PlanWeekend keeps what earlier plans placed).
ALTER TABLE visit_assignments
  ADD KEY visit_assignments_child (child_id, visit_day),
  ADD KEY visit_assignments_day (visit_day);
