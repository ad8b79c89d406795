-- Department heads and the director act on tickets through keys of their own roles.
ALTER TABLE api_keys DROP CONSTRAINT IF EXISTS api_keys_role_check;
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check
    CHECK (role IN ('integrator', 'agent', 'supervisor', 'head', 'director', 'admin'));
