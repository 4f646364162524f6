"""The sales workspace's services: the leads list, a lead's nurture state and notes, the dashboard figures."""
